import BetterSqlite3 from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_FILE } from '../../src/core/store/sqlite.js';
import { createCollectorDouble } from '../doubles/collector-double.js';
import { addVcenter, makeCore } from '../doubles/core-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'infrascope-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer child, kills it with SIGKILL `delayMs` after its `afterCommits`-th commit. */
function runAndKill(
  file: string,
  afterCommits: number,
  delayMs: number,
  args: readonly string[] = ['3000'],
  env: NodeJS.ProcessEnv = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'tests/hardening/sync-writer-child.ts', file, ...args],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, ...env },
      },
    );
    let last = 0;
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      const m = /^committed (\d+)$/.exec(line);
      if (!m) return;
      last = Number(m[1]);
      if (last === afterCommits) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.once('exit', (_code, signal) => {
      if (signal !== 'SIGKILL')
        reject(new Error(`child ended without being killed (${String(signal)})`));
      else resolve(last);
    });
  });
}

describe('kill -9 in the middle of large syncs', () => {
  // Several moments: right after a commit, early in the next write, late in it.
  it.each([
    [1, 0],
    [2, 60],
    [3, 250],
  ])(
    'after commit %i plus %i ms the store is intact and holds every committed sync',
    async (commits, delay) => {
      const file = join(dir, `crash-${commits}-${delay}.db`);
      const lastReported = await runAndKill(file, commits, delay);
      expect(lastReported).toBeGreaterThanOrEqual(commits);
      const db = new BetterSqlite3(file);
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const gens = db
          .prepare(
            'SELECT annotation, COUNT(*) AS n FROM vm WHERE deleted_at IS NULL GROUP BY annotation',
          )
          .all() as { annotation: string; n: number }[];
        // One transaction per sync: every VM carries the same generation, never a mix.
        expect(gens).toHaveLength(1);
        const gen = Number(gens[0]!.annotation.replace('gen-', ''));
        expect(gens[0]!.n).toBe(3000);
        // Everything reported committed survived; at most the one in flight also landed.
        expect(gen).toBeGreaterThanOrEqual(lastReported);
        expect(gen).toBeLessThanOrEqual(lastReported + 1);
      } finally {
        db.close();
      }
    },
  );
});

describe('a sync right after kill -9 of another sync', () => {
  it("closes the dead process's run as interrupted at once and succeeds", async () => {
    const data = join(dir, 'takeover');
    mkdirSync(data);
    const double = createCollectorDouble({ kind: 'ok', vms: 3 });
    const h = await makeCore({ dir: data, memory: false, collectors: { vcenter: double.factory } });
    try {
      const id = await addVcenter(h);
      // Another process syncs vc1 (its run beats now), and is killed in the middle.
      await runAndKill(join(data, STORE_FILE), 1, 0, ['200', 'vc1'], { SYNC_WRITER_RUN: '1' });
      const before = await h.core.store.db.selectFrom('sync_run').selectAll().execute();
      expect(before).toHaveLength(1);
      expect(before[0]).toMatchObject({ endpoint_id: id, status: 'running' });
      // Well inside its lease: only the dead pid tells it is gone.
      expect(Date.now() - Date.parse(before[0]!.heartbeat_at!)).toBeLessThan(30_000);

      await h.call('sync:start', { ids: [id] });
      const [done] = await h.finished([id]);
      expect(done?.error ?? null).toBeNull();
      expect(done?.state).toBe('succeeded');
      const runs = await h.core.store.db.selectFrom('sync_run').selectAll().orderBy('id').execute();
      expect(runs.map((r) => [r.status, r.error_code])).toEqual([
        ['failed', 'INTERRUPTED'],
        ['succeeded', null],
      ]);
    } finally {
      await h.close();
    }
  });
});
