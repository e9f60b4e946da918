/**
 * Turns what PowerShell wrote on stderr (an error record, as its console host formats it) into
 * one AppError with a stable code. PowerShell has no error codes we could switch on, so we match
 * the FullyQualifiedErrorId and the documented messages of each failure; the order of the rules
 * matters (a second-hop "Access is denied" is a Kerberos problem, not a missing right).
 */
import { AppError } from '../../../shared/errors.js';
import type { ErrorCode } from '../../../shared/errors.js';

interface Rule {
  readonly code: ErrorCode;
  readonly test: RegExp;
  readonly advice: (endpoint: string) => string;
}

const RULES: readonly Rule[] = [
  {
    code: 'KERBEROS_DOUBLE_HOP',
    test: /InfrascopeSecondHop|ClusterAccessDenied|logon session does not exist|0x80070520|No credentials are available in the security package|0x8009030e/i,
    advice: () =>
      'The remote session could not pass your credentials on to a second machine (the Kerberos ' +
      'double hop). Allow delegation to the cluster and file servers (resource-based constrained ' +
      'delegation), or point the endpoint at each host directly.',
  },
  {
    code: 'HYPERV_MODULE_MISSING',
    test: /Modules_ModuleNotFound|module '(Hyper-V|FailoverClusters)' was not loaded|'(Get-VM\w*|Get-Cluster\w*)' is not recognized/i,
    advice: (e) =>
      `Install the Hyper-V PowerShell module on ${e} (Install-WindowsFeature Hyper-V-PowerShell) ` +
      'and, on cluster nodes, the FailoverClusters module (RSAT-Clustering-PowerShell).',
  },
  {
    code: 'NOT_HYPERV',
    test: /InfrascopeNotHyperV|could not access an expected WMI class|Hyper-V Platform is not enabled|Virtual Machine Management service/i,
    advice: (e) => `${e} does not run the Hyper-V role. Check the host name of the endpoint.`,
  },
  {
    code: 'INVALID_LOGIN',
    test: /LogonFailure|user name or password is incorrect/i,
    advice: (e) =>
      `${e} rejected the user name or password. Use DOMAIN\\user or user@domain, and check the password.`,
  },
  {
    code: 'ACCESS_DENIED',
    test: /AccessDenied|Access is denied|You do not have the required permission|PermissionDenied/i,
    advice: (e) =>
      `The account may not use ${e} remotely or may not read Hyper-V. Add it to "Remote Management ` +
      'Users" and "Hyper-V Administrators" on each host (and to the cluster with read access).',
  },
  {
    code: 'WINRM_UNREACHABLE',
    test: /PSRemotingTransportException|WinRM cannot complete the operation|WinRM client cannot|cannot connect to the destination|Connecting to remote server .* failed|WinRMOperationTimeout|ERROR_WINRM/i,
    advice: (e) =>
      `WinRM on ${e} did not answer. Run "Enable-PSRemoting" on the host, open TCP 5985 (HTTP) ` +
      'or 5986 (HTTPS) in its firewall, and check the name resolves from this machine.',
  },
];

/** The first line of the error record: the message without PowerShell's position and category lines. */
export function errorHeadline(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const msg: string[] = [];
  for (const l of lines) {
    if (/^(At line:|At [A-Za-z]:|At \/|\+ |~+$|\+\s*~)/.test(l)) break;
    msg.push(l);
  }
  const head = (msg.length > 0 ? msg.join(' ') : (lines[0] ?? '')).replace(/\s+/g, ' ');
  return head.length > 400 ? `${head.slice(0, 400)}…` : head;
}

/** The FullyQualifiedErrorId of a formatted error record, if it shows one. */
export function errorId(text: string): string | null {
  return /FullyQualifiedErrorId\s*:\s*(\S[^\r\n]*)/.exec(text)?.[1]?.trim() ?? null;
}

/**
 * Classifies a PowerShell error record. `scrub` removes secrets from the text before any of it
 * reaches a message.
 *
 * @example
 * classifyPowerShellError('... FullyQualifiedErrorId : AccessDenied,PSSessionStateBroken', 'hv01')
 *   .code; // 'ACCESS_DENIED'
 */
export function classifyPowerShellError(
  text: string,
  endpoint: string,
  scrub: (s: string) => string = (s) => s,
): AppError {
  const clean = scrub(text);
  const head = errorHeadline(clean);
  const id = errorId(clean);
  const computer = /PSComputerName\s*:\s*(\S+)/.exec(clean)?.[1] ?? null;
  const where = computer && computer.toLowerCase() !== endpoint.toLowerCase() ? computer : endpoint;
  for (const rule of RULES) {
    if (rule.test.test(clean)) {
      return new AppError(rule.code, `${rule.advice(where)} PowerShell said: ${head}`, {
        endpoint,
        ...(computer ? { computer } : {}),
        ...(id ? { errorId: id } : {}),
      });
    }
  }
  return new AppError(
    'PROTOCOL_ERROR',
    `PowerShell failed reading Hyper-V endpoint ${endpoint}: ${head}`,
    { endpoint, ...(id ? { errorId: id } : {}) },
  );
}
