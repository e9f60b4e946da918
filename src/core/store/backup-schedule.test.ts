import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sharedPostgres, stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { openTestStore } from '../../../tests/helpers/store.js';
import { createLogger, silentLogger } from '../logger.js';
import { backupPolicy, backupStore, createBackupSchedule } from './backup-schedule.js';
import { backupNow, openSqliteStore } from './sqlite.js';
import type { SqliteStore as Store } from './sqlite.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'infrascope-backups-'));
  store = await openSqliteStore({ file: join(dir, 'infrascope.db') });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Hand-driven timers: the test fires them in order. */
function manualTimers(): {
  timers: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(h: unknown): void };
  pending: { fn: () => void; ms: number }[];
} {
  const pending: { fn: () => void; ms: number }[] = [];
  return {
    pending,
    timers: {
      setTimeout: (fn, ms) => {
        const t = { fn, ms };
        pending.push(t);
        return t;
      },
      clearTimeout: (h) => {
        const i = pending.indexOf(h as { fn: () => void; ms: number });
        if (i >= 0) pending.splice(i, 1);
      },
    },
  };
}

const backups = (): string[] => readdirSync(join(dir, 'backups')).filter((f) => f.endsWith('.db'));

describe('scheduled store backups', () => {
  it('backs up a minute after the first start, then once per interval, keeping N', async () => {
    const { timers, pending } = manualTimers();
    let clock = Date.UTC(2026, 10, 24, 8);
    const s = createBackupSchedule({
      store,
      log: silentLogger(),
      keep: 2,
      timers,
      now: () => new Date(clock),
    });
    s.start();
    expect(pending.map((p) => p.ms)).toEqual([60_000]);
    for (let i = 0; i < 3; i++) {
      const next = pending.shift()!;
      clock += next.ms;
      next.fn();
      await new Promise((r) => setTimeout(r, 50));
      expect(pending.map((p) => p.ms)).toEqual([86_400_000]);
    }
    expect(backups()).toHaveLength(2);
    s.dispose();
    expect(pending).toEqual([]);
  });

  it('after a restart, waits until a day after the newest backup', async () => {
    const taken = new Date(Date.UTC(2026, 10, 24, 6));
    await backupNow(store, 7, taken);
    const { timers, pending } = manualTimers();
    const s = createBackupSchedule({
      store,
      log: silentLogger(),
      timers,
      now: () => new Date(Date.UTC(2026, 10, 24, 10)),
    });
    s.start();
    expect(pending.map((p) => p.ms)).toEqual([20 * 3_600_000]);
    s.dispose();
  });
});

describe('on a PostgreSQL store', () => {
  afterAll(stopSharedPostgres);

  it('schedules nothing, says once whose job backups are, and a backup now is a typed BACKUP_BY_SERVER', async () => {
    const team = await openTestStore('postgres');
    try {
      const lines: string[] = [];
      const log = createLogger({
        level: 'info',
        destination: new Writable({
          write(chunk: Buffer, _enc, cb) {
            lines.push(chunk.toString('utf8'));
            cb();
          },
        }),
      });
      const { timers, pending } = manualTimers();
      const s = createBackupSchedule({ store: team, log, timers });
      s.start();
      expect(pending).toEqual([]);
      expect(lines).toHaveLength(1);
      const said = JSON.parse(lines[0]!) as { level: number; msg: string };
      expect(said.level).toBe(30); // info: nothing failed
      expect(said.msg).toMatch(/PostgreSQL server's: pg_dump/);
      const policy = backupPolicy(team);
      expect(policy).toEqual({ by: 'server', note: said.msg });
      // The note names the store as it may be shown: never its password.
      const cluster = await sharedPostgres();
      expect(said.msg).toContain(`${cluster.host}:${cluster.port}`);
      expect(said.msg).not.toContain(cluster.password);
      await expect(backupStore(team)).rejects.toMatchObject({
        code: 'BACKUP_BY_SERVER',
        message: said.msg,
      });
      s.dispose();
    } finally {
      await team.close();
    }
    // SQLite's own policy: the backups folder beside the file.
    expect(backupPolicy(store)).toEqual({ by: 'app', dir: join(dir, 'backups') });
  });
});
