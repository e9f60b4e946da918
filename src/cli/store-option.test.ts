import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { capturedIo } from '../../tests/doubles/cli-context.js';
import type { PostgresCluster } from '../../tests/helpers/postgres.js';
import { sharedPostgres, stopSharedPostgres } from '../../tests/helpers/postgres.js';
import { STORE_FILE } from '../core/store/sqlite.js';
import { runCli } from './main.js';

const TEAM_KEY = randomBytes(32).toString('base64');
let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await sharedPostgres();
});
afterAll(stopSharedPostgres);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infrascope-cli-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The endpoint names in a database, read with pg directly (not through the app). */
async function endpointNames(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ name: string }>('SELECT name FROM endpoint ORDER BY name');
    return r.rows.map((x) => x.name);
  } finally {
    await client.end();
  }
}

/** The CLI's streams with the password on stdin (for --password-stdin) and this environment. */
function withPassword(env: NodeJS.ProcessEnv = {}): ReturnType<typeof capturedIo> {
  // A team store seals the password with the team key this host holds.
  return {
    ...capturedIo(),
    env: { INFRASCOPE_STORE_KEY: TEAM_KEY, ...env },
    stdin: Readable.from([Buffer.from('pw\n')]),
  };
}

const add = (name: string): string[] => [
  'endpoint',
  'add',
  name,
  '--type',
  'vcenter',
  '--host',
  `${name}.example.test`,
  '--username',
  'reader',
  '--password-stdin',
];

describe('--store and INFRASCOPE_STORE', () => {
  it('--store postgres://… keeps the endpoints in PostgreSQL, not in the data directory', async () => {
    const url = await cluster.createDatabase();
    const x = withPassword();
    expect(await runCli(['--data-dir', dir, '--store', url, ...add('vc-a')], x)).toBe(0);
    expect(await endpointNames(url)).toEqual(['vc-a']);
    expect(existsSync(join(dir, STORE_FILE))).toBe(false);
    const list = capturedIo();
    expect(
      await runCli(['--data-dir', dir, '--store', url, 'endpoint', 'list', '--json'], list),
    ).toBe(0);
    expect((JSON.parse(list.stdout()) as { name: string }[]).map((e) => e.name)).toEqual(['vc-a']);
  });

  it('INFRASCOPE_STORE does the same, and --store wins over it', async () => {
    const viaEnv = await cluster.createDatabase();
    const viaFlag = await cluster.createDatabase();
    const env = { INFRASCOPE_STORE: viaEnv };
    expect(await runCli(['--data-dir', dir, ...add('vc-env')], withPassword(env))).toBe(0);
    expect(
      await runCli(['--data-dir', dir, '--store', viaFlag, ...add('vc-flag')], withPassword(env)),
    ).toBe(0);
    expect(await endpointNames(viaEnv)).toEqual(['vc-env']);
    expect(await endpointNames(viaFlag)).toEqual(['vc-flag']);
  });

  it('a refused password exits 1 with the typed error and without the password', async () => {
    const url = cluster.urlOf('postgres').replace(cluster.password, 'Not-The-Password-7');
    const x = capturedIo();
    expect(await runCli(['--data-dir', dir, '--store', url, 'query', 'vms'], x)).toBe(1);
    expect(x.stderr()).toContain('[STORE_AUTH_FAILED]');
    expect(x.stderr()).not.toContain('Not-The-Password-7');
  });
});
