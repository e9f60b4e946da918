/**
 * The Hyper-V collector: two PowerShell scripts per full collection, run in one long-lived
 * PowerShell process per endpoint (see session.ts). get-endpoint reads the endpoint host and its
 * failover cluster; get-nodes then reads every reachable node in parallel, straight from this
 * machine (no second hop). Their JSON is validated (schema.ts) and mapped (mapper.ts).
 */
import type { z } from 'zod';
import type { FullInventory } from '../../../shared/entities.js';
import { AppError } from '../../../shared/errors.js';
import type { CollectContext, Collector, CollectorTarget } from '../collector.js';
import { silentLogger } from '../../logger.js';
import { classifyPowerShellError } from './errors.js';
import { mapInventory } from './mapper.js';
import type { HyperVScript } from './resources.js';
import { scriptPath } from './resources.js';
import { endpointDocSchema, nodesDocSchema } from './schema.js';
import type { EndpointDoc, NodesDoc } from './schema.js';
import { CREDENTIAL_VARIABLE, PowerShellSession, psQuote } from './session.js';

export interface HyperVCollectorOptions {
  /** PowerShell to start (settings, `--pwsh PATH`); NODE_POWERSHELL wins when set. */
  readonly executable?: string;
  /** Deadline of get-endpoint (default 2 min). */
  readonly endpointTimeoutMs?: number;
  /** Deadline of get-nodes (default 15 min: a 16-node cluster of 2,000 VMs takes minutes). */
  readonly nodesTimeoutMs?: number;
  /** Deadline to start PowerShell and hand it the credential (default 60 s). */
  readonly startTimeoutMs?: number;
  /** Output cap per script, in characters (default 256 Mi). */
  readonly maxOutputChars?: number;
  /** Environment of PowerShell and of script lookup (tests); never holds the secret. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The node names get-nodes reads: cluster nodes that run VMs (Up or Paused), by FQDN when known. */
export function nodesToRead(doc: EndpointDoc, endpointHost: string): string[] {
  const c = doc.Cluster;
  if (!c) return [endpointHost];
  return c.Nodes.filter((n) => n.State === 'Up' || n.State === 'Paused').map((n) =>
    c.Domain && !n.Name.includes('.') ? `${n.Name}.${c.Domain}` : n.Name,
  );
}

/**
 * Parses a script's stdout: the last line that starts a JSON object (PowerShell may print noise
 * first), validated against `schema`.
 */
export function parseDocument<T extends z.ZodType>(
  stdout: string,
  schema: T,
  endpoint: string,
  script: string,
): z.output<T> {
  const line = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .at(-1);
  if (line === undefined) {
    throw new AppError(
      'PROTOCOL_ERROR',
      `Hyper-V endpoint ${endpoint}: ${script} printed no JSON document (${stdout.length} characters of other output).`,
      { endpoint, script },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    throw new AppError(
      'PROTOCOL_ERROR',
      `Hyper-V endpoint ${endpoint}: ${script} printed malformed JSON (${e instanceof Error ? e.message : String(e)}).`,
      { endpoint, script },
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') || '(root)' : '(root)';
    throw new AppError(
      'PROTOCOL_ERROR',
      `Hyper-V endpoint ${endpoint}: ${script} output does not match its schema at ${where}: ${issue?.message ?? 'invalid'}.`,
      { endpoint, script, path: where, issues: parsed.error.issues.length },
    );
  }
  return parsed.data as z.output<T>;
}

/** A Hyper-V endpoint's collector; `runScript` and `powershell` serve the doctor's probe and tests. */
export class HyperVCollector implements Collector {
  private readonly session: PowerShellSession;

  constructor(
    private readonly target: CollectorTarget,
    private readonly opts: HyperVCollectorOptions,
    log: CollectContext['log'] | null,
  ) {
    this.session = this.makeSession(log);
  }

  private makeSession(log: CollectContext['log'] | null): PowerShellSession {
    return new PowerShellSession({
      endpoint: this.target.name,
      username: this.target.username,
      password: this.target.password,
      log: log ?? silentLogger(),
      executable: this.opts.executable,
      ...(this.opts.maxOutputChars !== undefined
        ? { maxOutputChars: this.opts.maxOutputChars }
        : {}),
      ...(this.opts.startTimeoutMs !== undefined
        ? { startTimeoutMs: this.opts.startTimeoutMs }
        : {}),
      ...(this.opts.env ? { env: this.opts.env } : {}),
    });
  }

  /** The session (tests: how many PowerShell processes it started). */
  get powershell(): PowerShellSession {
    return this.session;
  }

  /** Builds `& 'path\script.ps1' -ComputerName 'a','b' -Port 5985 [-UseSSL] [-Credential $c]`. */
  private command(script: HyperVScript, computers: readonly string[]): string {
    const parts = [
      '&',
      psQuote(scriptPath(script, this.opts.env ?? process.env)),
      '-ComputerName',
      computers.map(psQuote).join(','),
      '-Port',
      String(this.target.port),
    ];
    if (this.target.useSsl) parts.push('-UseSSL');
    if (this.session.hasCredential) parts.push('-Credential', CREDENTIAL_VARIABLE);
    return parts.join(' ');
  }

  /** Runs a script and returns its validated document, or the classified PowerShell error. */
  async runScript<T extends z.ZodType>(
    script: HyperVScript,
    computers: readonly string[],
    schema: T,
    ctx: Pick<CollectContext, 'signal'> & Partial<Pick<CollectContext, 'log'>>,
    timeoutMs: number,
  ): Promise<z.output<T>> {
    const out = await this.session.run(this.command(script, computers), {
      timeoutMs,
      signal: ctx.signal,
      label: script,
      ...(ctx.log ? { log: ctx.log } : {}),
    });
    if (out.stderr.trim() !== '') {
      throw classifyPowerShellError(out.stderr, this.target.name, (s) => this.session.scrub(s));
    }
    return parseDocument(this.session.scrub(out.stdout), schema, this.target.name, script);
  }

  async collectFull(ctx: CollectContext): Promise<FullInventory> {
    ctx.progress({ phase: 'connect' });
    const endpoint: EndpointDoc = await this.runScript(
      'get-endpoint',
      [this.target.host],
      endpointDocSchema,
      ctx,
      this.opts.endpointTimeoutMs ?? 120_000,
    );
    const computers = nodesToRead(endpoint, this.target.host);
    ctx.log.debug(
      {
        endpoint: this.target.name,
        cluster: endpoint.Cluster?.Name ?? null,
        nodes: computers.length,
        psVersion: this.session.psVersion,
      },
      'Hyper-V endpoint read',
    );
    ctx.progress({ phase: 'host', done: 0, total: computers.length });
    let nodes: NodesDoc = { Nodes: [] };
    if (computers.length > 0) {
      nodes = await this.runScript(
        'get-nodes',
        computers,
        nodesDocSchema,
        ctx,
        this.opts.nodesTimeoutMs ?? 900_000,
      );
    }
    const answered = new Set(nodes.Nodes.map((n) => n.ComputerName.toLowerCase()));
    const missing = endpoint.Cluster
      ? computers.filter((c) => !answered.has((c.split('.')[0] ?? c).toLowerCase()))
      : nodes.Nodes.length === 1
        ? []
        : [this.target.host];
    if (missing.length > 0) {
      // Silently dropping a node would soft-delete all its VMs; fail loudly instead.
      throw new AppError(
        'PROTOCOL_ERROR',
        `Hyper-V endpoint ${this.target.name}: get-nodes returned nothing for ${missing.join(', ')}.`,
        { endpoint: this.target.name, missing },
      );
    }
    ctx.progress({ phase: 'host', done: nodes.Nodes.length, total: computers.length });
    const mapped = mapInventory({ endpointName: this.target.name, endpoint, nodes });
    if (mapped.duplicateVmIds.length > 0) {
      ctx.log.warn(
        { endpoint: this.target.name, vms: mapped.duplicateVmIds.slice(0, 20) },
        'VMs reported by two nodes (live migration in flight?); kept the first',
      );
    }
    const vms = mapped.entities.filter((e) => e.type === 'vm').length;
    ctx.progress({ phase: 'vm', done: vms, total: vms });
    return { entities: mapped.entities, samples: mapped.samples };
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

/**
 * The collector factory for Hyper-V endpoints (a host, or any node or the name of a failover
 * cluster).
 *
 * @example
 * const collector = createHyperVCollector(target);
 * try { await collector.collectFull(ctx); } finally { await collector.dispose(); }
 */
export function createHyperVCollector(
  target: CollectorTarget,
  opts: HyperVCollectorOptions = {},
  log: CollectContext['log'] | null = null,
): HyperVCollector {
  return new HyperVCollector(target, opts, log);
}
