import type { AppError } from '../../../shared/errors.js';
import { isAppError } from '../../../shared/errors.js';
import type { Logger } from '../../logger.js';
import { silentLogger } from '../../logger.js';
import { createHyperVCollector } from './collector.js';
import { endpointDocSchema } from './schema.js';

export interface HyperVProbeTarget {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Empty (with an empty password): the current Windows identity. */
  readonly username: string;
  readonly password: string;
  readonly useSsl?: boolean;
}

export interface HyperVProbeOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** PowerShell to start (settings / --pwsh); NODE_POWERSHELL wins when set. */
  readonly executable?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: Logger;
}

/** Same shape as the doctor's LoginProbeResult. */
export interface HyperVProbeResult {
  readonly detail: string;
  readonly permission: {
    readonly ok: boolean;
    readonly detail: string;
    readonly error?: AppError;
  } | null;
}

/** Failures that mean we never got in; the others mean we got in but cannot read Hyper-V. */
const LOGIN_FAILURES = new Set([
  'INVALID_LOGIN',
  'WINRM_UNREACHABLE',
  'POWERSHELL_UNAVAILABLE',
  'TIMEOUT',
  'CANCELLED',
  'CONNECTION_LOST',
]);

/**
 * The doctor's login and permission steps for Hyper-V: starts PowerShell, hands it the credential
 * on stdin, and runs get-endpoint.ps1 against the host (WinRM sign-in, Hyper-V module and role,
 * failover cluster read). Throws the AppError of a failed sign-in; returns a failed permission for
 * a host we reached but cannot read.
 *
 * @example
 * // in the doctor: deps.probeLogin for kind 'hyperv'
 * probeLogin: (t, ctx) => probeHyperV(t, { timeoutMs: ctx.timeoutMs, signal: ctx.signal })
 */
export async function probeHyperV(
  target: HyperVProbeTarget,
  opts: HyperVProbeOptions,
): Promise<HyperVProbeResult> {
  const collector = createHyperVCollector(
    {
      endpointId: 0,
      name: target.name,
      kind: 'hyperv',
      host: target.host,
      port: target.port,
      username: target.username,
      password: target.password,
      thumbprint: null,
      useSsl: target.useSsl ?? false,
    },
    {
      endpointTimeoutMs: opts.timeoutMs,
      startTimeoutMs: opts.timeoutMs,
      ...(opts.executable ? { executable: opts.executable } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    },
    opts.log ?? silentLogger(),
  );
  const signal = opts.signal ?? new AbortController().signal;
  const who = target.password === '' ? 'the current Windows identity' : target.username;
  try {
    const doc = await collector.runScript(
      'get-endpoint',
      [target.host],
      endpointDocSchema,
      { signal },
      opts.timeoutMs,
    );
    const ps = collector.powershell.psVersion;
    const c = doc.Cluster;
    return {
      detail: `Signed in to ${doc.ComputerName} over WinRM as ${who}${ps ? ` (local PowerShell ${ps})` : ''}.`,
      permission: {
        ok: true,
        detail: c
          ? `Hyper-V readable on ${doc.ComputerName}, node of failover cluster ${c.Name} (${c.Nodes.length} nodes, ${c.SharedVolumes.length} Cluster Shared Volumes).`
          : `Hyper-V readable on ${doc.ComputerName} (not clustered).`,
      },
    };
  } catch (e) {
    if (!isAppError(e) || LOGIN_FAILURES.has(e.code)) throw e;
    return {
      detail: `Signed in to ${target.host} over WinRM as ${who}.`,
      permission: { ok: false, detail: e.message, error: e },
    };
  } finally {
    await collector.dispose();
  }
}
