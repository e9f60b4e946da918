/**
 * A throwaway PostgreSQL cluster for tests, like the vcsim peer: Debian's own server binaries,
 * `initdb` in a temp dir, a free port on 127.0.0.1, stopped and removed afterwards. The unit run
 * starts one for all its files (tests/global-setup.ts, {@link RUN_CLUSTER_ENV}); a file run alone
 * starts its own at first use. One database per store a test opens, dropped when the file ends.
 *
 * initdb and postgres refuse to run as root, and the tests do run as root in CI: then the cluster
 * belongs to the `postgres` system user (Debian's package creates it) and runs with its uid/gid.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

export interface PostgresCluster {
  readonly host: string;
  readonly port: number;
  /** The superuser's name and password (password authentication over TCP, as a real server). */
  readonly user: string;
  readonly password: string;
  /** Directory holding the unix socket (trusted, for the harness's own admin connection). */
  readonly socketDir: string;
  /** The postmaster's process id (benchmarks read its and its backends' CPU time). */
  readonly pid: number | undefined;
  /** `postgres://user:password@127.0.0.1:port/<database>`. */
  urlOf(database: string): string;
  /** Creates a database (empty, or a copy of `template`) and returns its URL. */
  createDatabase(name?: string, template?: string): Promise<string>;
  /** A migrated empty database to copy (the run's cluster has one), if there is one. */
  readonly template?: string;
  stop(): Promise<void>;
}

/**
 * Where tests/global-setup.ts puts the run's cluster for the test files (JSON of
 * {@link ClusterAddress}): one cluster for the whole unit run instead of one per file.
 */
export const RUN_CLUSTER_ENV = 'INFRASCOPE_TEST_PG';

/** How a test file reaches a cluster it did not start. */
export interface ClusterAddress {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly socketDir: string;
  readonly template?: string;
}

/** A database name no other file of the run uses (a worker process runs several files). */
function uniqueName(): string {
  return `t${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Runs one statement as the superuser over the cluster's private unix socket. */
async function admin(a: { socketDir: string; port: number; user: string }, text: string) {
  const client = new pg.Client({
    host: a.socketDir,
    port: a.port,
    user: a.user,
    database: 'postgres',
  });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const createSql = (name: string, template?: string): string =>
  `CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`;

const SERVER_BINARIES = ['initdb', 'postgres'];

/** The directory holding initdb and postgres: PATH first, then Debian's versioned directories. */
export function findPostgresBin(): string {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    // Newest major version first.
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  const hit = dirs.find((d) => SERVER_BINARIES.every((b) => existsSync(join(d, b))));
  if (!hit)
    throw new Error(
      'PostgreSQL server binaries (initdb, postgres) not found in PATH or /usr/lib/postgresql/*/bin: install Debian\'s "postgresql" package (.ci/run does).',
    );
  return hit;
}

/** uid/gid of the `postgres` system user when we are root (initdb refuses root), else none. */
function serverIdentity(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line)
    throw new Error(
      'Running as root and there is no "postgres" user to run the test cluster as (Debian\'s postgresql package creates it).',
    );
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once the server logs that it accepts connections; rejects if it exits first. */
function whenReady(child: ChildProcess, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      log.push(text);
      if (text.includes('database system is ready to accept connections')) resolve();
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(
        new Error(`postgres exited (${code ?? signal}) before it was ready:\n${log.join('')}`),
      ),
    );
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    // SIGINT is PostgreSQL's fast shutdown; SIGKILL only if it hangs.
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGINT');
  });
}

/** The server settings of a test cluster (each overridable by {@link startPostgres}'s caller). */
const TEST_SETTINGS: Readonly<Record<string, string>> = {
  // A test cluster loses nothing worth an fsync.
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '200',
  // Test files start a cluster each, in parallel: a small cache keeps ten of them cheap.
  shared_buffers: '16MB',
};

/** A benchmark's server: the durable settings a real one keeps, and a server-sized cache. */
export const SERVER_SETTINGS: Readonly<Record<string, string>> = {
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
  shared_buffers: '256MB',
};

export interface StartPostgresOptions {
  /**
   * Server settings (`-c name=value`) over the test ones: a benchmark sets the durable ones
   * back (fsync, synchronous_commit, full_page_writes) and a server-sized cache.
   */
  readonly settings?: Readonly<Record<string, string>>;
}

/** Starts a fresh cluster. The caller stops it (see {@link sharedPostgres} for the usual way). */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresCluster> {
  const bin = findPostgresBin();
  const who = serverIdentity();
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-pg-'));
  const data = join(dir, 'data');
  const user = 'postgres';
  const password = randomBytes(12).toString('hex');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (who) {
    chownSync(dir, who.uid, who.gid);
    chownSync(pwfile, who.uid, who.gid);
  }
  chmodSync(dir, 0o700);
  const as = who ? { uid: who.uid, gid: who.gid } : {};
  try {
    // C locale: text sorts by bytes as in SQLite (the natural-sort keys rely on it). Trust on the
    // unix socket (in this private dir) for the harness; passwords over TCP, as the app connects.
    execFileSync(
      join(bin, 'initdb'),
      [
        '-D',
        data,
        '-U',
        user,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--no-locale',
        '-E',
        'UTF8',
        '--no-sync',
      ],
      { ...as, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  rmSync(pwfile);
  const port = await freePort();
  const child = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      ...Object.entries({ ...TEST_SETTINGS, ...options.settings }).flatMap(([k, v]) => [
        '-c',
        `${k}=${v}`,
      ]),
    ],
    { ...as, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // A worker that dies without its afterAll must not leave a server behind.
  const reap = (): void => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', reap);
  const log: string[] = [];
  try {
    await whenReady(child, log);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const urlOf = (database: string): string =>
    `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    socketDir: dir,
    pid: child.pid,
    urlOf,
    async createDatabase(name = uniqueName(), template?: string) {
      await admin({ socketDir: dir, port, user }, createSql(name, template));
      return urlOf(name);
    },
    async stop() {
      process.removeListener('exit', reap);
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The run's cluster as one file sees it: databases it creates are its own, dropped (with their
 * connections) when the file stops it; the cluster itself is the run's.
 */
function attach(a: ClusterAddress): PostgresCluster {
  const mine: string[] = [];
  const urlOf = (database: string): string =>
    `postgres://${a.user}:${a.password}@127.0.0.1:${a.port}/${database}`;
  return {
    ...a,
    pid: undefined,
    urlOf,
    async createDatabase(name = uniqueName(), template?: string) {
      await admin(a, createSql(name, template));
      mine.push(name);
      return urlOf(name);
    },
    async stop() {
      for (const name of mine.splice(0))
        await admin(a, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

let shared: Promise<PostgresCluster> | null = null;

/** This test file's cluster: the run's if there is one, else one started at first use. */
export function sharedPostgres(): Promise<PostgresCluster> {
  const run = process.env[RUN_CLUSTER_ENV];
  shared ??= run ? Promise.resolve(attach(JSON.parse(run) as ClusterAddress)) : startPostgres();
  return shared;
}

/** Ends this file's use of its cluster: drops its databases, or stops the cluster it started. */
export async function stopSharedPostgres(): Promise<void> {
  const running = shared;
  shared = null;
  if (running) await (await running).stop();
}
