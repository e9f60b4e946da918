# infrascope-script: get-endpoint
# Reads the Hyper-V endpoint host over WinRM: checks that it is a Hyper-V host and, when it belongs
# to a failover cluster, reads the cluster, its nodes and its Cluster Shared Volumes.
# Writes one JSON document (ConvertTo-Json -Depth 6 -Compress) on one line of stdout.
# The JSON is built on the remote host: remoting would otherwise flatten nested objects to strings.
[CmdletBinding()]
param(
  [Parameter(Mandatory = $true)] [string] $ComputerName,
  [int] $Port = 0,
  [switch] $UseSSL,
  [pscredential] $Credential
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$remote = @{
  ComputerName  = $ComputerName
  SessionOption = New-PSSessionOption -OpenTimeout 30000 -OperationTimeout 300000
  ErrorAction   = 'Stop'
}
if ($Port -gt 0) { $remote.Port = $Port }
if ($UseSSL) { $remote.UseSSL = $true }
if ($Credential) { $remote.Credential = $Credential }

$json = Invoke-Command @remote -ScriptBlock {
  $ErrorActionPreference = 'Stop'
  $ProgressPreference = 'SilentlyContinue'
  $WarningPreference = 'SilentlyContinue'
  Import-Module -Name Hyper-V -ErrorAction Stop
  if (-not (Get-Service -Name vmms -ErrorAction SilentlyContinue)) {
    Write-Error -Message "Infrascope: $env:COMPUTERNAME has no Hyper-V Virtual Machine Management service (vmms): it is not a Hyper-V host." -ErrorId 'InfrascopeNotHyperV' -Category NotInstalled
  }
  $null = Get-VMHost

  $cluster = $null
  $clusSvc = Get-Service -Name ClusSvc -ErrorAction SilentlyContinue
  if ($clusSvc -and $clusSvc.Status -eq 'Running') {
    Import-Module -Name FailoverClusters -ErrorAction Stop
    try {
      $c = Get-Cluster
      $nodes = @(Get-ClusterNode | ForEach-Object {
          [ordered]@{
            Name          = $_.Name
            Id            = [string]$_.Id
            State         = $_.State.ToString()
            NodeWeight    = $_.NodeWeight
            DynamicWeight = $_.DynamicWeight
          }
        })
      $csvs = @(Get-ClusterSharedVolume | ForEach-Object {
          [ordered]@{
            Name             = $_.Name
            Id               = [string]$_.Id
            State            = $_.State.ToString()
            OwnerNode        = $_.OwnerNode.Name
            SharedVolumeInfo = @($_.SharedVolumeInfo | ForEach-Object {
                [ordered]@{
                  FriendlyVolumeName = $_.FriendlyVolumeName
                  FaultState         = $_.FaultState.ToString()
                  RedirectedAccess   = $_.RedirectedAccess
                  Partition          = [ordered]@{
                    Name        = $_.Partition.Name
                    FileSystem  = $_.Partition.FileSystem
                    Size        = $_.Partition.Size
                    FreeSpace   = $_.Partition.FreeSpace
                    PercentFree = $_.Partition.PercentFree
                  }
                }
              })
          }
        })
    } catch {
      $m = $_.Exception.Message
      if ($m -match 'Access is denied|administrative privileges|logon session does not exist|No credentials are available') {
        # The cluster API is a second hop from this WinRM session: Kerberos will not delegate there.
        Write-Error -Message "Infrascope: $env:COMPUTERNAME could not read its failover cluster from a remote session (a Kerberos second hop): $m" -ErrorId 'InfrascopeSecondHop' -Category PermissionDenied
      }
      throw
    }
    $cluster = [ordered]@{
      Name             = $c.Name
      Id               = [string]$c.Id
      Domain           = $c.Domain
      AutoBalancerMode = $c.AutoBalancerMode
      Nodes            = $nodes
      SharedVolumes    = $csvs
    }
  }

  [ordered]@{
    ComputerName = $env:COMPUTERNAME
    PSVersion    = $PSVersionTable.PSVersion.ToString()
    Cluster      = $cluster
  } | ConvertTo-Json -Depth 6 -Compress
}

[Console]::Out.WriteLine([string]$json)
