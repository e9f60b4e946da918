import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/store/sqlite.js';
import { openStore } from '../../src/core/store/sqlite.js';
import { lockedEndpoints } from '../../src/core/sync/ownership.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { testStoreLocation } from '../helpers/store.js';
import { endpointAddArgs, startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import type { CliRun } from './team-cli.js';
import { teamCli } from './team-cli.js';

/*
 * Issue 16, "both schedulers running, each endpoint synced by exactly one at a time": two
 * `infrascope watch` processes (two collector hosts: separate data directories) on one PostgreSQL
 * store with three vcsim endpoints. Every endpoint gets synced, no endpoint ever has runs of two
 * owners at once (from the store's run rows), and after kill -9 of one process the other takes
 * over its endpoints on its next try, without a lease to wait out.
 */

const ENDPOINTS = 3;
/** The shortest interval an endpoint may have: how often a process retries one held elsewhere. */
const INTERVAL_S = 30;
const TEAM_KEY = randomBytes(32).toString('base64');

const sims: Vcsim[] = [];
let url: string;
let store: Store;
const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'infrascope-team-sched-')));
const env = (): Record<string, string> => ({
  INFRASCOPE_STORE_KEY: TEAM_KEY,
  ...Object.fromEntries(sims.map((s, i) => [`SIM_PW_${i}`, s.password])),
});
const hosts = dirs.map((dir) => teamCli({ dir: () => dir, store: () => url, env }));

interface Run {
  id: number;
  endpoint_id: number;
  owner: string | null;
  mode: string;
  status: string;
  error_code: string | null;
  started_at: string;
  ended_at: string | null;
}

async function runs(): Promise<Run[]> {
  return store.db
    .selectFrom('sync_run')
    .select([
      'id',
      'endpoint_id',
      'owner',
      'mode',
      'status',
      'error_code',
      'started_at',
      'ended_at',
    ])
    .orderBy('id')
    .execute();
}

const pidOf = (r: Run): string | undefined => r.owner?.split(':')[1];

/**
 * Pairs of runs of one endpoint by two owners whose times overlap (a run still open lasts until
 * now). Owner ids name the process (host:pid:…), so two processes never share one.
 */
function overlaps(all: readonly Run[]): [Run, Run][] {
  const now = new Date().toISOString();
  const out: [Run, Run][] = [];
  for (const a of all)
    for (const b of all)
      if (
        a.id < b.id &&
        a.endpoint_id === b.endpoint_id &&
        a.owner !== b.owner &&
        a.started_at < (b.ended_at ?? now) &&
        b.started_at < (a.ended_at ?? now)
      )
        out.push([a, b]);
  return out;
}

/** Every endpoint's VMs, as the store holds them, by endpoint id. */
async function vmsByEndpoint(): Promise<Map<number, number>> {
  const rows = await store.db
    .selectFrom('vm')
    .select(['endpoint_id'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('deleted_at', 'is', null)
    .groupBy('endpoint_id')
    .execute();
  return new Map(rows.map((r) => [r.endpoint_id, Number(r.n)]));
}

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { stdio: 'inherit' });
  for (let i = 0; i < ENDPOINTS; i++) sims.push(await startVcsim());
  url = (await testStoreLocation('postgres'))!;
  for (const [i, sim] of sims.entries()) {
    const added = await hosts[0]!.start([
      ...endpointAddArgs(sim, `vcsim-${i}`, `SIM_PW_${i}`),
      '--interval',
      String(INTERVAL_S),
    ]).done;
    expect(added.code, added.out).toBe(0);
  }
  store = await openStore({ file: url });
}, 180_000);

afterAll(async () => {
  for (const h of hosts) h.killAll();
  await store?.close();
  for (const s of sims) await s.stop();
  await stopSharedPostgres();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('two schedulers on one PostgreSQL store', () => {
  it('syncs each endpoint in one process at a time, and the survivor takes over after kill -9', async () => {
    const ids = (await store.db.selectFrom('endpoint').select('id').orderBy('id').execute()).map(
      (e) => e.id,
    );
    expect(ids).toHaveLength(ENDPOINTS);
    const watches: CliRun[] = hosts.map((h) => h.start(['watch']));
    const pids = watches.map((w) => String(w.child.pid));
    // Both schedulers try every endpoint; each endpoint ends up followed by one of them.
    await expect
      .poll(
        async () => {
          const all = await runs();
          const locked = await lockedEndpoints(store.db);
          return ids.every(
            (id) =>
              locked.has(id) &&
              all.some(
                (r) => r.endpoint_id === id && r.mode === 'full' && r.status === 'succeeded',
              ),
          );
        },
        { timeout: 120_000, interval: 500 },
      )
      .toBe(true);
    const before = await runs();
    expect(overlaps(before)).toEqual([]);
    // Only the two watches ran syncs; a refused try leaves no row.
    expect(new Set(before.map(pidOf)).size).toBeLessThanOrEqual(2);
    expect(before.every((r) => pids.includes(pidOf(r)!))).toBe(true);
    // The store holds what each simulator says it has.
    const vms = await vmsByEndpoint();
    expect(ids.map((id) => vms.get(id))).toEqual(sims.map((s) => s.counts['VirtualMachine']));

    // Who follows which endpoint now: its open update session's owner.
    const holder = new Map(
      before.filter((r) => r.status === 'running').map((r) => [r.endpoint_id, pidOf(r)!]),
    );
    expect([...holder.keys()].sort((a, b) => a - b)).toEqual(ids);
    // Kill the process holding more endpoints (the first on a tie), mid-session.
    const held = pids.map((p) => [...holder.values()].filter((h) => h === p).length);
    const victim = held[1]! > held[0]! ? 1 : 0;
    const survivor = 1 - victim;
    const orphaned = ids.filter((id) => holder.get(id) === pids[victim]);
    expect(orphaned.length).toBeGreaterThan(0);
    watches[victim]!.child.kill('SIGKILL');
    await watches[victim]!.done;

    // The survivor claims each orphan on its next try (within one interval): a full sync of its
    // own, the dead process's session closed as interrupted.
    await expect
      .poll(
        async () => {
          const all = await runs();
          return orphaned.every((id) =>
            all.some(
              (r) =>
                r.endpoint_id === id &&
                pidOf(r) === pids[survivor] &&
                r.mode === 'full' &&
                r.status === 'succeeded',
            ),
          );
        },
        { timeout: INTERVAL_S * 1000 * 3, interval: 500 },
      )
      .toBe(true);
    const after = await runs();
    expect(overlaps(after)).toEqual([]);
    for (const id of orphaned) {
      const dead = after.filter((r) => r.endpoint_id === id && pidOf(r) === pids[victim]);
      expect(dead.map((r) => r.status)).not.toContain('running');
      expect(dead.at(-1)).toMatchObject({ status: 'failed', error_code: 'INTERRUPTED' });
    }
    // Every endpoint is followed again, all by the survivor.
    await expect
      .poll(
        async () => {
          const open = (await runs()).filter((r) => r.status === 'running');
          return ids.every((id) =>
            open.some((r) => r.endpoint_id === id && pidOf(r) === pids[survivor]),
          );
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe(true);
    expect([...(await lockedEndpoints(store.db))].sort((a, b) => a - b)).toEqual(ids);
    expect(watches[survivor]!.child.exitCode).toBeNull();
  }, 360_000);
});
