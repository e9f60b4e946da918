# infrascope-script: get-nodes
# Reads each Hyper-V host named in -ComputerName (one host, or the reachable nodes of a failover
# cluster) in parallel over WinRM, straight from this workstation: fanning out from here rather
# than from the first node avoids the Kerberos double hop.
# Writes one JSON document {"Nodes":[...]} (each node's part built by ConvertTo-Json -Depth 6
# -Compress on the node itself) on one line of stdout.
[CmdletBinding()]
param(
  [Parameter(Mandatory = $true)] [string[]] $ComputerName,
  [int] $Port = 0,
  [switch] $UseSSL,
  [pscredential] $Credential
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$remote = @{
  ComputerName  = $ComputerName
  SessionOption = New-PSSessionOption -OpenTimeout 30000 -OperationTimeout 900000
  ThrottleLimit = 16
  ErrorAction   = 'Stop'
}
if ($Port -gt 0) { $remote.Port = $Port }
if ($UseSSL) { $remote.UseSSL = $true }
if ($Credential) { $remote.Credential = $Credential }

$parts = Invoke-Command @remote -ScriptBlock {
  $ErrorActionPreference = 'Stop'
  $ProgressPreference = 'SilentlyContinue'
  $WarningPreference = 'SilentlyContinue'
  Import-Module -Name Hyper-V -ErrorAction Stop

  $vmHost = Get-VMHost
  $os = Get-CimInstance -ClassName Win32_OperatingSystem
  $cs = Get-CimInstance -ClassName Win32_ComputerSystem
  $bios = Get-CimInstance -ClassName Win32_BIOS
  $cpus = @(Get-CimInstance -ClassName Win32_Processor)
  $vmms = Get-Item -Path "$env:SystemRoot\System32\vmms.exe"

  $volumes = @(Get-CimInstance -ClassName Win32_Volume |
      Where-Object { $_.DriveType -eq 3 -and $_.FileSystem -and $_.FileSystem -notlike 'CSVFS*' -and $_.Name -notlike '\\?\*' } |
      ForEach-Object {
        [ordered]@{
          DeviceID   = $_.DeviceID
          Name       = $_.Name
          Label      = $_.Label
          FileSystem = $_.FileSystem
          Capacity   = $_.Capacity
          FreeSpace  = $_.FreeSpace
        }
      })

  # Physical NICs (RVTools' vNIC) and the management OS's virtual adapters (its VMkernel
  # equivalent, vSC_VMK). Optional: a host without the NetAdapter module still reports the rest.
  $netAdapters = @(Get-NetAdapter -Physical -ErrorAction SilentlyContinue | ForEach-Object {
      [ordered]@{
        Name                 = $_.Name
        InterfaceDescription = $_.InterfaceDescription
        DriverProvider       = $_.DriverProvider
        DriverDescription    = $_.DriverDescription
        Speed                = $_.Speed
        FullDuplex           = $_.FullDuplex
        MacAddress           = $_.MacAddress
        Status               = $_.Status
        MtuSize              = $_.MtuSize
      }
    })
  $hostVnics = @(Get-VMNetworkAdapter -ManagementOS -ErrorAction SilentlyContinue | ForEach-Object {
      $alias = "vEthernet ($($_.Name))"
      $ips = @(Get-NetIPAddress -InterfaceAlias $alias -ErrorAction SilentlyContinue | ForEach-Object {
          [ordered]@{ IPAddress = $_.IPAddress; PrefixLength = $_.PrefixLength; PrefixOrigin = $_.PrefixOrigin.ToString() }
        })
      $adapter = Get-NetAdapter -Name $alias -ErrorAction SilentlyContinue
      [ordered]@{
        Name        = $_.Name
        SwitchName  = $_.SwitchName
        MacAddress  = $_.MacAddress
        IPAddresses = $ips
        MtuSize     = if ($adapter) { $adapter.MtuSize } else { $null }
      }
    })

  $switches = @(Get-VMSwitch | ForEach-Object {
      [ordered]@{
        Name                           = $_.Name
        Id                             = [string]$_.Id
        SwitchType                     = $_.SwitchType.ToString()
        NetAdapterInterfaceDescription = $_.NetAdapterInterfaceDescription
        AllowManagementOS              = $_.AllowManagementOS
      }
    })

  $vms = @(Get-VM | ForEach-Object {
      $vm = $_
      $disks = @(Get-VMHardDiskDrive -VM $vm | ForEach-Object {
          $drive = $_
          $vhd = $null
          if ($drive.Path -and $null -eq $drive.DiskNumber) {
            try {
              $v = Get-VHD -Path $drive.Path
              $vhd = [ordered]@{
                VhdFormat  = $v.VhdFormat.ToString()
                VhdType    = $v.VhdType.ToString()
                Size       = $v.Size
                FileSize   = $v.FileSize
                ParentPath = $v.ParentPath
              }
            } catch {
              $m = $_.Exception.Message
              if ($drive.Path -like '\\*' -or $m -match 'logon session does not exist|No credentials are available') {
                if ($m -match 'Access is denied|logon session does not exist|No credentials are available') {
                  Write-Error -Message "Infrascope: $env:COMPUTERNAME could not open $($vm.Name)'s disk on a file share from a remote session (a Kerberos second hop): $m" -ErrorId 'InfrascopeSecondHop' -Category PermissionDenied
                }
              }
              # A missing or locked VHD leaves the disk without sizes rather than failing the host.
              $vhd = $null
            }
          }
          [ordered]@{
            Name               = $drive.Name
            Id                 = $drive.Id
            Path               = $drive.Path
            ControllerType     = $drive.ControllerType.ToString()
            ControllerNumber   = $drive.ControllerNumber
            ControllerLocation = $drive.ControllerLocation
            DiskNumber         = $drive.DiskNumber
            Vhd                = $vhd
          }
        })
      $nics = @(Get-VMNetworkAdapter -VM $vm | ForEach-Object {
          $vlan = Get-VMNetworkAdapterVlan -VMNetworkAdapter $_
          [ordered]@{
            Name                    = $_.Name
            Id                      = $_.Id
            SwitchName              = $_.SwitchName
            SwitchId                = if ($_.SwitchId) { [string]$_.SwitchId } else { $null }
            MacAddress              = $_.MacAddress
            DynamicMacAddressEnabled = $_.DynamicMacAddressEnabled
            IsLegacy                = $_.IsLegacy
            Connected               = $_.Connected
            IPAddresses             = @($_.IPAddresses)
            Vlan                    = [ordered]@{
              OperationMode            = $vlan.OperationMode.ToString()
              AccessVlanId             = $vlan.AccessVlanId
              NativeVlanId             = $vlan.NativeVlanId
              AllowedVlanIdListString  = $vlan.AllowedVlanIdListString
            }
          }
        })
      $dvds = @(Get-VMDvdDrive -VM $vm | ForEach-Object {
          [ordered]@{
            Name               = $_.Name
            ControllerType     = $_.ControllerType.ToString()
            ControllerNumber   = $_.ControllerNumber
            ControllerLocation = $_.ControllerLocation
            DvdMediaType       = $_.DvdMediaType.ToString()
            Path               = $_.Path
          }
        })
      $checkpoints = @(Get-VMSnapshot -VM $vm | ForEach-Object {
          [ordered]@{
            Id                 = [string]$_.Id
            Name               = $_.Name
            ParentCheckpointId = if ($_.ParentCheckpointId) { [string]$_.ParentCheckpointId } else { $null }
            SnapshotType       = $_.SnapshotType.ToString()
            State              = $_.State.ToString()
            CreationTime       = $_.CreationTime
            Notes              = $_.Notes
          }
        })
      $services = @(Get-VMIntegrationService -VM $vm | ForEach-Object {
          [ordered]@{
            Name                     = $_.Name
            Enabled                  = $_.Enabled
            PrimaryStatusDescription = $_.PrimaryStatusDescription
          }
        })
      [ordered]@{
        Name                       = $vm.Name
        Id                         = [string]$vm.Id
        State                      = $vm.State.ToString()
        Status                     = $vm.Status
        Generation                 = $vm.Generation
        Version                    = $vm.Version
        ProcessorCount             = $vm.ProcessorCount
        MemoryStartup              = $vm.MemoryStartup
        MemoryAssigned             = $vm.MemoryAssigned
        MemoryMinimum              = $vm.MemoryMinimum
        MemoryMaximum              = $vm.MemoryMaximum
        DynamicMemoryEnabled       = $vm.DynamicMemoryEnabled
        Uptime                     = $vm.Uptime
        CPUUsage                   = $vm.CPUUsage
        IntegrationServicesState   = $vm.IntegrationServicesState
        IntegrationServicesVersion = [string]$vm.IntegrationServicesVersion
        ReplicationState           = $vm.ReplicationState.ToString()
        ReplicationHealth          = $vm.ReplicationHealth.ToString()
        ReplicationMode            = $vm.ReplicationMode.ToString()
        Notes                      = $vm.Notes
        ComputerName               = $vm.ComputerName
        Path                       = $vm.Path
        ConfigurationLocation      = $vm.ConfigurationLocation
        CreationTime               = $vm.CreationTime
        IsClustered                = $vm.IsClustered
        ParentCheckpointId         = if ($vm.ParentCheckpointId) { [string]$vm.ParentCheckpointId } else { $null }
        HardDrives                 = $disks
        NetworkAdapters            = $nics
        DVDDrives                  = $dvds
        Checkpoints                = $checkpoints
        IntegrationServices        = $services
      }
    })

  [ordered]@{
    ComputerName    = $env:COMPUTERNAME
    CollectedAt     = [DateTime]::UtcNow
    Host            = [ordered]@{
      ComputerName             = $vmHost.ComputerName
      FullyQualifiedDomainName = $vmHost.FullyQualifiedDomainName
      LogicalProcessorCount    = $vmHost.LogicalProcessorCount
      MemoryCapacity           = $vmHost.MemoryCapacity
      VirtualHardDiskPath      = $vmHost.VirtualHardDiskPath
      VirtualMachinePath       = $vmHost.VirtualMachinePath
      HyperVVersion            = $vmms.VersionInfo.ProductVersion
    }
    OperatingSystem = [ordered]@{
      Caption                = $os.Caption
      Version                = $os.Version
      BuildNumber            = $os.BuildNumber
      LastBootUpTime         = $os.LastBootUpTime
      TotalVisibleMemorySize = $os.TotalVisibleMemorySize
      FreePhysicalMemory     = $os.FreePhysicalMemory
    }
    ComputerSystem  = [ordered]@{
      Manufacturer        = $cs.Manufacturer
      Model               = $cs.Model
      NumberOfProcessors  = $cs.NumberOfProcessors
      TotalPhysicalMemory = $cs.TotalPhysicalMemory
      Domain              = $cs.Domain
    }
    Bios            = [ordered]@{ SerialNumber = $bios.SerialNumber }
    Processors      = @($cpus | ForEach-Object {
        [ordered]@{
          Name                      = $_.Name
          NumberOfCores             = $_.NumberOfCores
          NumberOfLogicalProcessors = $_.NumberOfLogicalProcessors
          MaxClockSpeed             = $_.MaxClockSpeed
          LoadPercentage            = $_.LoadPercentage
        }
      })
    Volumes         = $volumes
    Switches        = $switches
    NetAdapters     = $netAdapters
    HostVnics       = $hostVnics
    VMs             = $vms
  } | ConvertTo-Json -Depth 6 -Compress
}

[Console]::Out.WriteLine('{"Nodes":[' + (@($parts) -join ',') + ']}')
