import { describe, expect, it } from 'vitest';
import { classifyPowerShellError, errorHeadline, errorId } from './errors.js';

// Error records as PowerShell prints them, from Microsoft's about_Remote_Troubleshooting and the
// Hyper-V and FailoverClusters modules, including PowerShell 7 on Linux (WSMan through OMI).
const RECORDS: [string, string][] = [
  [
    'ACCESS_DENIED',
    '[hv01] Connecting to remote server hv01 failed with the following error message : Access is denied. For more information, see the about_Remote_Troubleshooting Help topic.\n    + CategoryInfo          : OpenError: (hv01:String) [], PSRemotingTransportException\n    + FullyQualifiedErrorId : AccessDenied,PSSessionStateBroken',
  ],
  [
    'WINRM_UNREACHABLE',
    'OpenError: [hv01] Connecting to remote server hv01 failed with the following error message : MI_RESULT_FAILED For more information, see the about_Remote_Troubleshooting Help topic.',
  ],
  [
    'WINRM_UNREACHABLE',
    'Invoke-Command : [10.0.0.5] Connecting to remote server 10.0.0.5 failed with the following error message : The WinRM client cannot process the request. Default authentication may be used with an IP address under the following conditions: the transport is HTTPS or the destination is in the TrustedHosts list.\n    + FullyQualifiedErrorId : CannotUseIPAddress,PSSessionStateBroken',
  ],
  [
    'KERBEROS_DOUBLE_HOP',
    'Get-VHD : Getting the mounted storage instance for the path failed. A specified logon session does not exist. It may already have been terminated. (0x80070520)\n    + PSComputerName        : hv02',
  ],
  [
    'KERBEROS_DOUBLE_HOP',
    'You do not have administrative privileges on the cluster.\n    + CategoryInfo          : AuthenticationError: (:) [Get-ClusterSharedVolume], ClusterCmdletException\n    + FullyQualifiedErrorId : ClusterAccessDenied,Microsoft.FailoverClusters.PowerShell.GetClusterSharedVolumeCommand\n    + PSComputerName        : hv01',
  ],
  [
    'HYPERV_MODULE_MISSING',
    "The term 'Get-VM' is not recognized as the name of a cmdlet, function, script file, or operable program.\n    + FullyQualifiedErrorId : CommandNotFoundException",
  ],
  [
    'NOT_HYPERV',
    "Get-VMHost : The Hyper-V Management Tools could not access an expected WMI class on computer 'WEB01'. This may indicate that the Hyper-V Platform is not enabled on the computer or not fully enabled.",
  ],
  [
    'INVALID_LOGIN',
    '[hv01] Connecting to remote server hv01 failed with the following error message : The user name or password is incorrect. For more information, see the about_Remote_Troubleshooting Help topic.\n    + FullyQualifiedErrorId : LogonFailure,PSSessionStateBroken',
  ],
  ['PROTOCOL_ERROR', 'Something nobody has seen before.'],
];

describe('classifyPowerShellError', () => {
  for (const [code, text] of RECORDS) {
    it(`${code}: ${text.slice(0, 60)}…`, () => {
      const e = classifyPowerShellError(text, 'hv-lab');
      expect(e.code).toBe(code);
      expect(e.details).toMatchObject({ endpoint: 'hv-lab' });
    });
  }

  it('names the node that failed and keeps the error id', () => {
    const e = classifyPowerShellError(RECORDS[4]![1], 'hv-clu');
    expect(e.details).toMatchObject({
      computer: 'hv01',
      errorId:
        'ClusterAccessDenied,Microsoft.FailoverClusters.PowerShell.GetClusterSharedVolumeCommand',
    });
  });

  it('quotes only the message of the record, scrubbed', () => {
    const text =
      'Oops s3cr3t happened\nAt C:\\x\\get-endpoint.ps1:25 char:9\n+ $json = Invoke-Command\n+ ~~~~\n    + FullyQualifiedErrorId : Boom';
    expect(errorHeadline(text)).toBe('Oops s3cr3t happened');
    expect(errorId(text)).toBe('Boom');
    const e = classifyPowerShellError(text, 'hv', (s) => s.replace('s3cr3t', '[redacted]'));
    expect(e.message).toMatch(/Oops \[redacted\] happened$/);
  });
});
