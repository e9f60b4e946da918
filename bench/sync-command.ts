/**
 * The sync users run, timed from outside: `infrascope sync` (the built CLI) as a process, from
 * spawn to exit, into an empty store and again with nothing changed; and the reference client
 * (pyVmomi, bench/pyvmomi-read.py) reading the same property paths from the same simulator.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  propertyPaths,
  VIEW_PROPSET_TYPES,
  VIEW_TYPES,
} from '../src/core/collectors/vsphere/mapper.js';
import { logFile } from '../src/core/log-file.js';
import type { Vcsim } from '../tests/vcsim/launch.js';
import { endpointAddArgs } from '../tests/vcsim/launch.js';

const DEBIAN_PYTHON = '/usr/bin/python3';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'infrascope.mjs');
const GNU_TIME = '/usr/bin/time';

export interface CommandRun {
  /** From spawn to exit. */
  readonly wallMs: number;
  /** From spawn until the outcome line ("✓ bench: synced …") reached stdout. */
  readonly outcomeMs: number | null;
  /** What the command itself reports ("in 5.7 s"): the sync run's duration. */
  readonly reportedMs: number | null;
  readonly exitCode: number | null;
  /** Peak RSS of the process (GNU time's %M), null without /usr/bin/time. */
  readonly maxRssMb: number | null;
  readonly userCpuMs: number | null;
  readonly systemCpuMs: number | null;
  /** vcsim's CPU time over the run. */
  readonly vcsimCpuMs: number | null;
  /** The post-sync rule pass, as the process logged it. */
  readonly rulePassMs: number | null;
  readonly outcome: string;
}

export interface ReferenceRun {
  readonly ms: number | null;
  readonly objects: number | null;
  readonly cpuMs: number | null;
  readonly vcsimCpuMs: number | null;
  /** Why there is no figure (pyVmomi not installed, a failure). */
  readonly missing: string | null;
}

/**
 * CPU time (user + system) of a process from /proc, in ms; null where unreadable. With
 * `reapedChildren`, plus that of its children that have exited and been waited for: a
 * PostgreSQL postmaster's backends, each ending with its connection.
 */
export function processCpuMs(pid: number | undefined, reapedChildren = false): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of stat), cutime and cstime (16 and 17), in clock ticks,
    // 100 per second on Linux.
    const own = Number(fields[11]) + Number(fields[12]);
    return (own + (reapedChildren ? Number(fields[13]) + Number(fields[14]) : 0)) * 10;
  } catch {
    return null;
  }
}

interface Spawned {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  readonly outcomeMs: number | null;
}

function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  outcome?: RegExp,
): Promise<Spawned> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let outcomeMs: number | null = null;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (outcomeMs === null && outcome?.test(stdout)) outcomeMs = performance.now() - t0;
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) =>
      done({ code, stdout, stderr, wallMs: performance.now() - t0, outcomeMs }),
    );
    child.stdin.end(input ?? '');
  });
}

/** The CLI with `args` in `dataDir`; under GNU time (peak RSS, CPU) where it exists. */
async function cli(
  dataDir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  outcome?: RegExp,
): Promise<Spawned & { rss: number | null; user: number | null; system: number | null }> {
  const cmd = [process.execPath, BIN, '--data-dir', dataDir, ...args];
  if (!existsSync(GNU_TIME)) {
    const r = await run(cmd[0]!, cmd.slice(1), env, undefined, outcome);
    return { ...r, rss: null, user: null, system: null };
  }
  const timeFile = join(dataDir, '..', `time-${process.pid}.txt`);
  const r = await run(
    GNU_TIME,
    ['-o', timeFile, '-f', '%M %U %S', ...cmd],
    env,
    undefined,
    outcome,
  );
  const [rss, user, system] = readFileSync(timeFile, 'utf8')
    .trim()
    .split(/\s+/)
    .slice(-3)
    .map(Number);
  rmSync(timeFile, { force: true });
  return {
    ...r,
    rss: rss === undefined ? null : Math.round(rss / 1024),
    user: user === undefined ? null : user * 1000,
    system: system === undefined ? null : system * 1000,
  };
}

/** The rule pass times the CLI logged ("alert rules evaluated", ms), newest last. */
function rulePasses(dataDir: string): number[] {
  const file = logFile(dataDir, 'cli');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"alert rules evaluated"'))
    .map((l) => (JSON.parse(l) as { ms: number }).ms);
}

/** Where a timed CLI sync writes: its data directory, and the global options before `sync`. */
export interface SyncTarget {
  readonly dataDir: string;
  /** `--store URL --store-key-file FILE` for a team store; none for the data directory's SQLite. */
  readonly globals?: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** One `infrascope sync NAME` process against `sim`, timed from spawn to exit. */
export async function timeCliSync(
  target: SyncTarget,
  name: string,
  sim: Vcsim,
): Promise<CommandRun> {
  const { dataDir, env } = target;
  const before = rulePasses(dataDir).length;
  const sim0 = processCpuMs(sim.pid);
  const outcome = new RegExp(`✓ ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: synced`);
  const r = await cli(dataDir, [...(target.globals ?? []), 'sync', name], env, outcome);
  const sim1 = processCpuMs(sim.pid);
  if (r.code !== 0) throw new Error(`infrascope sync exited ${r.code}: ${r.stderr}${r.stdout}`);
  const reported = /in ([\d.]+) s/.exec(r.stdout);
  return {
    wallMs: r.wallMs,
    outcomeMs: r.outcomeMs,
    reportedMs: reported ? Number(reported[1]) * 1000 : null,
    exitCode: r.code,
    maxRssMb: r.rss,
    userCpuMs: r.user,
    systemCpuMs: r.system,
    vcsimCpuMs: sim0 === null || sim1 === null ? null : sim1 - sim0,
    rulePassMs: rulePasses(dataDir).slice(before).at(-1) ?? null,
    outcome: r.stdout.trim(),
  };
}

/** `infrascope endpoint add NAME` for `sim` into `target` (the password from the environment). */
export async function addCliEndpoint(target: SyncTarget, name: string, sim: Vcsim): Promise<void> {
  const env = { ...target.env, BENCH_VC_PASSWORD: sim.password };
  const args = [...(target.globals ?? []), ...endpointAddArgs(sim, name, 'BENCH_VC_PASSWORD')];
  const add = await cli(target.dataDir, args, env);
  if (add.code !== 0) throw new Error(`endpoint add ${name} failed: ${add.stderr}${add.stdout}`);
}

/** Throws unless the CLI and the renderer are built (the benchmarks time the built app). */
export function requireBuilt(): void {
  if (!existsSync(join(ROOT, 'out', 'cli', 'index.js')))
    throw new Error('The CLI is not built: run npm run build first.');
}

/** `infrascope sync` against `sim` into a new data directory: empty store, then unchanged. */
export async function timeSyncCommand(
  sim: Vcsim,
): Promise<{ empty: CommandRun; unchanged: CommandRun }> {
  requireBuilt();
  const base = mkdtempSync(join(tmpdir(), 'infrascope-bench-cli-'));
  const target = {
    dataDir: join(base, 'data'),
    env: { ...process.env, INFRASCOPE_LOG_LEVEL: 'info' },
  };
  try {
    await addCliEndpoint(target, 'bench', sim);
    const empty = await timeCliSync(target, 'bench', sim);
    const unchanged = await timeCliSync(target, 'bench', sim);
    return { empty, unchanged };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/**
 * pyVmomi (Debian's python3-pyvmomi) reading the collector's property paths from every view the
 * collector reads, all pages; a missing module is reported, not a failure.
 */
export async function timeReferenceClient(sim: Vcsim, apiVersion: string): Promise<ReferenceRun> {
  const paths = propertyPaths(apiVersion);
  const views = VIEW_TYPES.map(({ types }) => ({
    types,
    propSets: types
      .flatMap((t) => VIEW_PROPSET_TYPES[t] ?? [t])
      .map((t) => [t, paths[t] ?? ['name']]),
  }));
  const input = JSON.stringify({
    host: sim.host,
    port: sim.port,
    user: sim.username,
    password: sim.password,
    views,
  });
  const sim0 = processCpuMs(sim.pid);
  let r: Spawned;
  try {
    // Debian's own Python, where apt installs python3-pyvmomi (a pyenv/venv python3 on PATH lacks it).
    r = await run(DEBIAN_PYTHON, [join(ROOT, 'bench', 'pyvmomi-read.py')], process.env, input);
  } catch (e) {
    return {
      ms: null,
      objects: null,
      cpuMs: null,
      vcsimCpuMs: null,
      missing: `${DEBIAN_PYTHON} did not run: ${String(e)}`,
    };
  }
  const sim1 = processCpuMs(sim.pid);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  let out: { ms?: number; objects?: number; cpuMs?: number; missing?: string; error?: string };
  try {
    out = JSON.parse(last) as typeof out;
  } catch {
    out = { error: `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}` };
  }
  if (out.missing || out.error || out.ms === undefined)
    return {
      ms: null,
      objects: null,
      cpuMs: null,
      vcsimCpuMs: null,
      missing: out.missing ?? out.error ?? 'no figure',
    };
  return {
    ms: out.ms,
    objects: out.objects ?? null,
    cpuMs: out.cpuMs ?? null,
    vcsimCpuMs: sim0 === null || sim1 === null ? null : sim1 - sim0,
    missing: null,
  };
}
