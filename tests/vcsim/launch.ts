/**
 * Starts the vcsim test peer (tests/vcsim/main.go) on a loopback port, building it first when the
 * binary is missing or older than main.go.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const DIR = dirname(fileURLToPath(import.meta.url));
const BINARY = join(DIR, 'vcsim');
const SOURCE = join(DIR, 'main.go');

export interface VcsimOptions {
  /** Simulate a standalone ESXi host instead of vCenter. */
  readonly esx?: boolean;
  readonly dc?: number;
  readonly cluster?: number;
  /** Hosts per cluster. */
  readonly host?: number;
  readonly standaloneHost?: number;
  /** VMs per resource pool / host. */
  readonly vm?: number;
  readonly pool?: number;
  readonly ds?: number;
  readonly folder?: number;
  readonly pg?: number;
  readonly app?: number;
  readonly username?: string;
  readonly password?: string;
  readonly startTimeoutMs?: number;
}

export interface Vcsim {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** SHA-256, colon-separated upper-case hex. */
  readonly thumbprint: string;
  /** vcsim's own count of objects per managed type (exact type, root folder included). */
  readonly counts: Readonly<Record<string, number>>;
  /** The simulator's process id (benchmarks read its CPU time). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Builds the binary when missing or stale (older than main.go). */
export function ensureVcsimBinary(): string {
  const stale = !existsSync(BINARY) || statSync(BINARY).mtimeMs < statSync(SOURCE).mtimeMs;
  if (stale) {
    // Built under a private name and renamed into place: test files starting at once never
    // run a half-written binary.
    const tmp = `vcsim.${process.pid}.tmp`;
    execFileSync('go', ['build', '-o', tmp, '.'], {
      cwd: DIR,
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH: process.env['GOPATH'] ?? '/usr/share/gocode',
        GOFLAGS: '',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    renameSync(join(DIR, tmp), BINARY);
  }
  return BINARY;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.stdin?.end(); // vcsim exits when stdin closes
    child.kill('SIGTERM');
  });
}

export async function startVcsim(opts: VcsimOptions = {}): Promise<Vcsim> {
  const bin = ensureVcsimBinary();
  const args = ['-listen', '127.0.0.1:0'];
  if (opts.esx) args.push('-esx');
  const flags: [keyof VcsimOptions, string][] = [
    ['dc', '-dc'],
    ['cluster', '-cluster'],
    ['host', '-host'],
    ['standaloneHost', '-standalone-host'],
    ['vm', '-vm'],
    ['pool', '-pool'],
    ['ds', '-ds'],
    ['folder', '-folder'],
    ['pg', '-pg'],
    ['app', '-app'],
  ];
  for (const [key, flag] of flags) {
    const v = opts[key];
    if (typeof v === 'number') args.push(flag, String(v));
  }
  args.push('-username', opts.username ?? 'user', '-password', opts.password ?? 'pass');

  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(`vcsim did not start within ${opts.startTimeoutMs ?? 60_000} ms: ${stderr}`),
      );
    }, opts.startTimeoutMs ?? 60_000);
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vcsim exited with ${code}: ${stderr}`));
    });
  }).catch(async (e: unknown) => {
    await stopChild(child);
    throw e;
  });
  const info = JSON.parse(first) as {
    url: string;
    host: string;
    port: string;
    username: string;
    password: string;
    thumbprint: string;
    counts?: Record<string, number>;
  };
  if (info.host !== '127.0.0.1') {
    await stopChild(child);
    throw new Error(`vcsim listens on ${info.host}, expected 127.0.0.1`);
  }
  return {
    url: info.url,
    host: info.host,
    port: Number(info.port),
    username: info.username,
    password: info.password,
    thumbprint: info.thumbprint,
    counts: info.counts ?? {},
    pid: child.pid,
    stop: () => stopChild(child),
  };
}

/**
 * The arguments of `infrascope endpoint add` for `sim`, as a script passes them: the password
 * from the environment variable `passwordEnv`, the simulator's certificate pinned.
 */
export function endpointAddArgs(sim: Vcsim, name: string, passwordEnv: string): string[] {
  return [
    'endpoint',
    'add',
    name,
    '--type',
    'vcenter',
    '--host',
    `${sim.host}:${sim.port}`,
    '--username',
    sim.username,
    '--password-env',
    passwordEnv,
    '--thumbprint',
    sim.thumbprint,
  ];
}
