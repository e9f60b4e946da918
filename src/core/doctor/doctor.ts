import { performance } from 'node:perf_hooks';
import type {
  CheckStep,
  CheckStepId,
  ConnectivityReport,
  EndpointKind,
} from '../../shared/endpoints.js';
import { AppError, serializeError } from '../../shared/errors.js';
import type { LocalPowerShell } from './powershell.js';
import { checkPowerShell, powerShellPath } from './powershell.js';
import type { ProbeOptions } from './probes.js';
import { httpExchange, inspectTls, resolveHost, tcpConnect } from './probes.js';
import type { TrustDecision } from './trust.js';
import { evaluateTrust } from './trust.js';
import type { LoginProbeResult, ServiceContentFacts } from './vsphere-probe.js';
import { retrieveServiceContent, vsphereLoginProbe } from './vsphere-probe.js';
import { probeHyperV } from '../collectors/hyperv/index.js';

/** What the doctor needs to know about an endpoint. `password` is null when none opens. */
export interface DoctorTarget {
  readonly name: string;
  readonly kind: EndpointKind;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string | null;
  /** Why there is no password (not set, sealed by another vault...), shown at the login step. */
  readonly credentialError?: AppError | null;
  readonly thumbprint: string | null;
  readonly trustOnFirstUse: boolean;
  readonly useSsl: boolean;
}

export interface LoginProbeContext extends ProbeOptions {
  /** The vSphere ServiceContent the api step read (null for Hyper-V). */
  readonly serviceContent: ServiceContentFacts | null;
  /** The thumbprint the TLS step established (null: trusted by the system CAs). */
  readonly thumbprint: string | null;
}

/** Logs in (and checks read permission); throws AppError('INVALID_LOGIN') on a bad password. */
export type LoginProbe = (
  target: DoctorTarget & { readonly password: string },
  ctx: LoginProbeContext,
) => Promise<LoginProbeResult>;

export interface DoctorDeps {
  readonly now: () => Date;
  /** Deadline of each step (default 10 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Replaces the built-in login probe (vSphere SOAP Login/Logout; Hyper-V has none yet). */
  readonly probeLogin?: LoginProbe;
  /** Replaces the PowerShell start check (Hyper-V local step). */
  readonly checkPowerShell?: (opts: ProbeOptions) => Promise<LocalPowerShell>;
  readonly env?: NodeJS.ProcessEnv;
  /** Called when trust on first use pins a certificate; the caller stores the pin. */
  readonly onFirstUsePin?: (decision: TrustDecision) => Promise<void>;
  /** Called as each step finishes, so a UI can show the checklist live. */
  readonly onStep?: (step: CheckStep) => void;
}

const LABELS: Record<CheckStepId, string> = {
  local: 'Local prerequisites',
  dns: 'DNS resolution',
  tcp: 'TCP connect',
  tls: 'TLS handshake',
  api: 'API probe',
  login: 'Login',
  permission: 'Permission to read inventory',
};

type Facts = NonNullable<CheckStep['facts']>;
interface StepOutcome {
  readonly status?: 'ok' | 'warning' | 'skipped';
  readonly detail: string;
  readonly facts?: Facts;
}

function isVsphere(kind: EndpointKind): boolean {
  return kind === 'vcenter' || kind === 'esxi';
}

/**
 * The default login probe. vSphere: SOAP Login, a read of the root folder, Logout. Hyper-V: a
 * PowerShell remoting session that signs in and reads the host (PowerShell start plus WinRM often
 * takes longer than the other steps, so it gets at least 30 s).
 */
export const defaultLoginProbe: LoginProbe = async (target, ctx) => {
  if (target.kind === 'hyperv') {
    return probeHyperV(
      {
        name: target.name,
        host: target.host,
        port: target.port,
        username: target.username,
        password: target.password,
        useSsl: target.useSsl === true,
      },
      {
        timeoutMs: Math.max(30_000, ctx.timeoutMs ?? 0),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      },
    );
  }
  if (!ctx.serviceContent) {
    throw new AppError(
      'INTERNAL',
      'The vSphere login probe needs the ServiceContent of the api step.',
    );
  }
  return vsphereLoginProbe(
    {
      host: target.host,
      port: target.port,
      thumbprint: ctx.thumbprint,
      username: target.username,
      password: target.password,
    },
    ctx.serviceContent,
    ctx,
  );
};

/**
 * The connectivity checklist: local → dns → tcp → tls → api → login → permission (`local` checks
 * this machine, for Hyper-V its PowerShell, in a moment and before the network). Each step is timed and
 * explains its failure in words an operator can act on (or put in a firewall ticket); steps after
 * a failure are skipped. Never pings: ICMP says nothing about the port that matters.
 *
 * @example
 * const report = await runConnectivityTest(target, { now: () => new Date() });
 * report.steps.find((s) => s.status === 'failed')?.error?.code; // e.g. 'CONNECTION_REFUSED'
 */
export async function runConnectivityTest(
  target: DoctorTarget,
  deps: DoctorDeps,
): Promise<ConnectivityReport> {
  const startedAt = deps.now();
  const opts: ProbeOptions = { timeoutMs: deps.timeoutMs ?? 10_000, signal: deps.signal };
  const steps: CheckStep[] = [];
  let failed = false;

  const step = async (id: CheckStepId, fn: () => Promise<StepOutcome>): Promise<void> => {
    let result: CheckStep;
    if (failed) {
      result = {
        id,
        label: LABELS[id],
        status: 'skipped',
        durationMs: 0,
        detail: 'Skipped: an earlier step failed.',
      };
    } else {
      const t0 = performance.now();
      try {
        const o = await fn();
        result = {
          id,
          label: LABELS[id],
          status: o.status ?? 'ok',
          durationMs: Math.round(performance.now() - t0),
          detail: o.detail,
          ...(o.facts ? { facts: o.facts } : {}),
        };
      } catch (e) {
        failed = true;
        const error = serializeError(e);
        result = {
          id,
          label: LABELS[id],
          status: 'failed',
          durationMs: Math.round(performance.now() - t0),
          detail: error.message,
          error,
          ...(error.details ? { facts: factsOf(error.details) } : {}),
        };
      }
    }
    steps.push(result);
    deps.onStep?.(result);
  };

  let addresses: string[] = [];
  let thumbprint: string | null = target.thumbprint;
  let serviceContent: ServiceContentFacts | null = null;
  let login: LoginProbeResult | null = null;
  const usesTls = isVsphere(target.kind) || target.useSsl;

  let powershell: LocalPowerShell | null = null;
  // Only Hyper-V needs something of this machine (vSphere is plain HTTPS): no step for vSphere.
  if (target.kind === 'hyperv') {
    await step('local', async () => {
      const exe = powerShellPath(deps.env ?? process.env);
      const check = deps.checkPowerShell ?? ((o: ProbeOptions) => checkPowerShell(exe, o));
      powershell = await check(opts);
      return localPowerShellOutcome(exe, powershell);
    });
  }

  await step('dns', async () => {
    addresses = await resolveHost(target.host, opts);
    return {
      detail: `${target.host} resolves to ${addresses.join(', ')}.`,
      facts: { addresses: addresses.join(', ') },
    };
  });

  await step('tcp', async () => {
    await tcpConnect(addresses[0] ?? target.host, target.port, target.host, opts);
    return {
      detail: `Port ${target.port} on ${target.host} (${addresses[0] ?? target.host}) accepts connections.`,
    };
  });

  await step('tls', async () => {
    if (!usesTls) {
      return { status: 'skipped', detail: `Not used: WinRM over HTTP on port ${target.port}.` };
    }
    const seen = await inspectTls(addresses[0] ?? target.host, target.port, target.host, opts);
    const decision = evaluateTrust(seen, {
      endpoint: target.name,
      host: target.host,
      port: target.port,
      pinned: target.thumbprint,
      trustOnFirstUse: target.trustOnFirstUse,
      now: deps.now(),
    });
    if (decision.via === 'first-use') await deps.onFirstUsePin?.(decision);
    thumbprint = decision.thumbprint;
    const f = decision.facts;
    const how =
      decision.via === 'ca'
        ? 'trusted by the system certificate authorities'
        : decision.via === 'pin'
          ? 'matches the pinned thumbprint'
          : 'pinned now (trust on first use)';
    const expiring = f.daysToExpiry < 30;
    return {
      status: expiring ? 'warning' : 'ok',
      detail:
        `Certificate ${how}; ${f.daysToExpiry < 0 ? `expired ${-f.daysToExpiry} days ago` : `expires in ${f.daysToExpiry} days`}` +
        `${expiring && f.daysToExpiry >= 0 ? ' — renew it soon' : ''}. Subject ${f.subject}; SHA-256 ${f.fingerprint256}.`,
      facts: {
        fingerprint256: f.fingerprint256,
        subject: f.subject,
        issuer: f.issuer,
        validFrom: f.validFrom,
        validTo: f.validTo,
        daysToExpiry: f.daysToExpiry,
        selfSigned: f.selfSigned,
        pinned: decision.via !== 'ca',
        trustedVia: decision.via,
        protocol: seen.protocol,
      },
    };
  });

  await step('api', async () => {
    if (isVsphere(target.kind)) {
      serviceContent = await retrieveServiceContent(
        { host: target.host, port: target.port, thumbprint },
        target.kind,
        opts,
      );
      return {
        detail: `${serviceContent.fullName || 'vSphere'} answers (API type ${serviceContent.apiType}, version ${serviceContent.version}).`,
        facts: {
          product: serviceContent.fullName,
          version: serviceContent.version,
          apiType: serviceContent.apiType,
        },
      };
    }
    return hypervApiProbe(target, thumbprint, powershell, opts);
  });

  await step('login', async () => {
    // A Hyper-V endpoint may sign in as the current Windows identity, with no stored password.
    if (target.password === null && target.kind === 'hyperv' && target.username === '') {
      const probe = deps.probeLogin ?? defaultLoginProbe;
      login = await probe({ ...target, password: '' }, { ...opts, serviceContent, thumbprint });
      return { detail: login.detail };
    }
    if (target.password === null) {
      throw (
        target.credentialError ??
        new AppError(
          'CREDENTIALS_REQUIRED',
          `No password is stored for "${target.name}". Set one: \`infrascope endpoint set "${target.name}" --password-env VAR\`.`,
        )
      );
    }
    const probe = deps.probeLogin ?? defaultLoginProbe;
    login = await probe(
      { ...target, password: target.password },
      { ...opts, serviceContent, thumbprint },
    );
    return { detail: login.detail };
  });

  await step('permission', () => {
    const p = (login as LoginProbeResult | null)?.permission ?? null;
    if (p === null)
      return Promise.resolve({
        status: 'skipped',
        detail: 'Not checked for this kind of endpoint.',
      });
    if (!p.ok) return Promise.reject(p.error ?? new AppError('NO_PERMISSION', p.detail));
    return Promise.resolve({ detail: p.detail });
  });

  return {
    endpoint: target.name,
    kind: target.kind,
    host: target.host,
    port: target.port,
    startedAt: startedAt.toISOString(),
    ok: steps.every((s) => s.status !== 'failed'),
    steps,
  };
}

/** The local step for Hyper-V: which PowerShell, its version, and the modules it can see. */
function localPowerShellOutcome(exe: string, ps: LocalPowerShell): StepOutcome {
  const has = (yes: boolean): string => (yes ? 'installed' : 'not installed');
  const old = /^[1-4]\./.test(ps.version);
  return {
    status: old ? 'warning' : 'ok',
    detail:
      `PowerShell ${ps.version} (${exe}) starts` +
      (old ? ': remoting from PowerShell before 5.1 is not supported, install PowerShell 7' : '') +
      `. On this machine the Hyper-V module is ${has(ps.modules.hyperV)} and FailoverClusters ` +
      `is ${has(ps.modules.failoverClusters)}; the scripts run on the Hyper-V hosts, which need them.`,
    facts: {
      powershell: ps.version,
      powershellPath: exe,
      hypervModule: ps.modules.hyperV,
      failoverClustersModule: ps.modules.failoverClusters,
    },
  };
}

async function hypervApiProbe(
  target: DoctorTarget,
  thumbprint: string | null,
  powershell: LocalPowerShell | null,
  opts: ProbeOptions,
): Promise<StepOutcome> {
  const scheme = target.useSsl ? 'https' : 'http';
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const res = await httpExchange({
    url: `${scheme}://${host}:${target.port}/wsman`,
    method: 'POST',
    headers: { 'content-type': 'application/soap+xml;charset=UTF-8' },
    body: '',
    thumbprint,
    ...opts,
  });
  const auth = res.headers['www-authenticate'];
  const schemes = (Array.isArray(auth) ? auth : auth ? [auth] : [])
    .map((a) => a.split(' ')[0])
    .join(', ');
  if (res.status !== 401 || !schemes) {
    throw new AppError(
      'NOT_HYPERV',
      `${target.host}:${target.port} answers HTTP ${res.status} on /wsman without asking to authenticate: it is not ` +
        'WinRM. Check the host and port (5985 for HTTP, 5986 for HTTPS).',
      { status: res.status },
    );
  }
  const version = powershell?.version ?? 'unknown';
  return {
    detail: `WinRM answers (offers ${schemes}); local PowerShell ${version} starts.`,
    facts: { winrmAuth: schemes, powershell: version },
  };
}

function factsOf(details: Readonly<Record<string, unknown>>): Facts {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(details)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      out[k] = v;
  }
  return out;
}
