import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresCluster } from '../helpers/postgres.js';
import { sharedPostgres, stopSharedPostgres } from '../helpers/postgres.js';
import { POPULATED_SECRETS, populateLocalStore } from '../helpers/populated-store.js';

/*
 * `infrascope store key generate` and `store copy` through the built CLI, as an operator runs
 * them, against a real PostgreSQL; what landed there is read back with pg itself. Then the team
 * store without its key: inventory lists, syncs and passwords are refused with the typed error.
 * Every byte the runs printed or logged, and the audit log, is searched for the secrets.
 */

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let cluster: PostgresCluster;
let dir: string;
let dataDir: string;
let storeFile: string;
let keyFile: string;
const runs: Run[] = [];

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, ['bin/infrascope.mjs', '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], HOME: dir, ...env },
  });
  const run = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  runs.push(run);
  return run;
}

/** Runs the copy and sends it SIGINT once it reports progress on `table`; its exit and output. */
function interruptedCopy(args: string[], table: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/infrascope.mjs', '--data-dir', dataDir, ...args], {
      env: { PATH: process.env['PATH'], HOME: dir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (new RegExp(` ${table}: `).test(stderr)) child.kill('SIGINT');
    });
    child.on('exit', (status) => {
      const run = { status, stdout, stderr };
      runs.push(run);
      resolve(run);
    });
  });
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

function sqliteCount(table: string): number {
  const db = new BetterSqlite3(storeFile, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-cli.mjs']);
  cluster = await sharedPostgres();
  dir = mkdtempSync(join(tmpdir(), 'infrascope-cli-copy-'));
  dataDir = join(dir, 'data');
  storeFile = await populateLocalStore(dataDir);
  keyFile = join(dir, 'team.key');
}, 180_000);
afterAll(async () => {
  await stopSharedPostgres();
  rmSync(dir, { recursive: true, force: true });
});

describe('infrascope store copy (built CLI)', () => {
  it('generates a key file, copies the local store in, and the store then needs that key', async () => {
    const gen = cli(['store', 'key', 'generate', '--out', keyFile]);
    expect(gen.status).toBe(0);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const keyText = readFileSync(keyFile, 'utf8').trim();
    expect(Buffer.from(keyText, 'base64')).toHaveLength(32);
    expect(gen.stdout).not.toContain(keyText);
    // Never over an existing key: the secrets sealed with it would be lost.
    expect(cli(['store', 'key', 'generate', '--out', keyFile]).status).toBe(1);
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(keyText);

    const url = await cluster.createDatabase();
    const withKey = ['--store-key-file', keyFile];
    // Stopped in the middle (Ctrl-C), then run again: it continues.
    const stopped = await interruptedCopy([...withKey, 'store', 'copy', '--to', url], 'vm');
    expect(stopped.status).toBe(130);
    const copied = cli([...withKey, 'store', 'copy', '--to', url]);
    expect(copied.status).toBe(0);
    expect(copied.stdout).toContain('Finished the copy');
    // Progress names tables with real counts (plain lines off a terminal).
    const vms = sqliteCount('vm');
    expect(stopped.stderr + copied.stderr).toMatch(new RegExp(`vm: ${vms}/${vms} rows`));
    for (const t of ['endpoint', 'vm', 'change_log', 'alert', 'snapshot_entity', 'metric_raw']) {
      const [row] = await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM ${t}`);
      expect({ t, n: row!.n }).toEqual({ t, n: sqliteCount(t) });
    }
    const creds = await query<{ backend: string }>(url, 'SELECT backend FROM credential');
    expect(creds.map((c) => c.backend)).toEqual(['teamkey', 'teamkey', 'teamkey']);

    // Into a store that holds data: refused, with what to do.
    const again = cli([...withKey, 'store', 'copy', '--to', url]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('[STORE_NOT_EMPTY]');
    expect(again.stderr).toContain('--force');

    // Without the key: the inventory reads, the list says why nothing syncs; sync and passwords
    // are refused with the typed error.
    const list = cli(['--store', url, 'endpoint', 'list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain('vc1');
    expect(list.stderr).toContain('STORE_KEY_MISSING');
    const vmsOut = cli(['--store', url, 'query', 'vms', '--json']);
    expect(vmsOut.status).toBe(0);
    expect(JSON.parse(vmsOut.stdout)).toHaveLength(vms);
    const sync = cli(['--store', url, 'sync', 'vc1']);
    expect(sync.status).toBe(1);
    expect(sync.stderr).toContain('[STORE_KEY_MISSING]');
    expect(sync.stderr).toContain('INFRASCOPE_STORE_KEY');
    const addArgs = ['--store', url, 'endpoint', 'add', 'vc9', '--type', 'vcenter'];
    const add = cli([...addArgs, '--host', 'vc9.example.test', '-u', 'r', '--password-env', 'PW'], {
      PW: POPULATED_SECRETS.vc1,
    });
    expect(add.status).toBe(1);
    expect(add.stderr).toContain('[STORE_KEY_MISSING]');
    // Another key: told apart from a damaged secret.
    const other = Buffer.alloc(32, 7).toString('base64');
    const wrong = cli(['--store', url, 'sync', 'vc1'], { INFRASCOPE_STORE_KEY: other });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('[STORE_KEY_MISMATCH]');
    const names = await query<{ name: string }>(url, 'SELECT name FROM endpoint ORDER BY name');
    expect(names.map((n) => n.name)).toEqual(['broken', 'vc1', 'vc2']);
    const runsAfter = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM sync_run');
    expect(runsAfter[0]!.n).toBe(sqliteCount('sync_run'));

    // No secret anywhere: output, logs, the team store's audit log and settings.
    const logs = readdirSync(join(dataDir, 'logs')).map((f) =>
      readFileSync(join(dataDir, 'logs', f), 'utf8'),
    );
    const audit = await query<{ details: string; target: string | null }>(
      url,
      'SELECT details, target FROM audit_log',
    );
    const settings = await query<{ value: string }>(url, 'SELECT value FROM setting');
    const everything = [
      ...runs.flatMap((r) => [r.stdout, r.stderr]),
      ...logs,
      ...audit.map((a) => `${a.target ?? ''} ${a.details}`),
      ...settings.map((s) => s.value),
    ].join('\n');
    expect(logs.join('').length).toBeGreaterThan(0);
    for (const secret of [
      POPULATED_SECRETS.vc1,
      POPULATED_SECRETS.vc2,
      POPULATED_SECRETS.webhookUrl,
      keyText,
      Buffer.from(keyText, 'base64').toString('hex'),
      other,
    ])
      expect(everything).not.toContain(secret);
  }, 300_000);
});
