import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCollectorDouble } from '../../../tests/doubles/collector-double.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import type { ScheduleSettingsInput } from '../../shared/schedules.js';
import { scheduleSettingsSchema } from '../../shared/schedules.js';
import { APP_VERSION } from '../core.js';
import { createExportCapability } from '../export/capability.js';
import type { SchedulesService } from './service.js';
import { SCHEDULED_FILE, createSchedulesCapability, scheduledFileName } from './service.js';

const HOUR = 3_600_000;
const FIRST_RUN_DELAY = 60_000;

let h: CoreHarness;
let folder: string;
let service: SchedulesService;
let endpointId: number;

function makeService(): SchedulesService {
  const { store, events, log } = h.core;
  const now = (): Date => new Date();
  const exportsDir = join(h.dir, 'exports');
  const exports = createExportCapability({ ...h.core, now, appVersion: APP_VERSION, exportsDir });
  return createSchedulesCapability({
    store,
    events,
    log,
    now,
    runExport: exports.runInFolder,
    firstRunDelayMs: FIRST_RUN_DELAY,
  });
}

async function configure(input: ScheduleSettingsInput): Promise<void> {
  await service.handlers['schedules:set'](scheduleSettingsSchema.parse(input), {
    actor: 'test:alice',
    host: 'cli',
  });
}

async function syncOnce(): Promise<void> {
  await h.call('sync:start', { ids: [endpointId] });
  await h.finished([endpointId]);
  h.events.splice(0);
}

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeEach(async () => {
    h = await makeCore({
      collectors: { vcenter: createCollectorDouble({ kind: 'ok', vms: 2 }).factory },
      store: await testStoreLocation(engine),
    });
    const ep = await h.call('endpoints:add', {
      name: 'vc1',
      kind: 'vcenter',
      host: 'vc1.example.test',
      username: 'u',
      password: 'pw',
    });
    endpointId = ep.id;
    folder = mkdtempSync(join(tmpdir(), 'infrascope-sched-'));
    service = makeService();
  });

  afterEach(async () => {
    vi.useRealTimers();
    await service.dispose();
    await h.close();
    rmSync(folder, { recursive: true, force: true });
  });

  describe('scheduled exports', () => {
    it('writes an export into the folder on schedule and then every N hours', async () => {
      await syncOnce();
      // Only the clock: fs, zlib and sqlite keep their real callbacks.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      await configure({
        export: { enabled: true, format: 'json', folder, everyHours: 6, keep: 3 },
      });
      await service.start();
      expect(readdirSync(folder)).toEqual([]);

      await vi.advanceTimersByTimeAsync(FIRST_RUN_DELAY);
      await service.idle();
      const first = readdirSync(folder);
      expect(first).toHaveLength(1);
      expect(first[0]).toMatch(SCHEDULED_FILE);
      expect(first[0]).toMatch(/\.json\.gz$/);

      const state = await service.handlers['schedules:get']({}, { actor: 'test', host: 'cli' });
      expect(state.lastExport?.error).toBeNull();
      expect(state.lastExport?.file).toBe(join(folder, first[0]!));
      expect(Date.parse(state.nextExportAt!) - Date.parse(state.lastExport!.at)).toBe(6 * HOUR);

      await vi.advanceTimersByTimeAsync(6 * HOUR - 1000);
      await service.idle();
      expect(readdirSync(folder)).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1000);
      await service.idle();
      expect(readdirSync(folder)).toHaveLength(2);
    });

    it('keeps exactly the last N of its own files and never touches other files', async () => {
      const others = ['notes.txt', 'infrascope-scheduled-old.xlsx', 'report.xlsx'];
      for (const f of others) writeFileSync(join(folder, f), 'keep me');
      // Older runs of ours, already on disk.
      const old = [1, 2, 3, 4].map((d) =>
        scheduledFileName('xlsx', new Date(Date.UTC(2020, 0, d, 12))),
      );
      for (const f of old) writeFileSync(join(folder, f), 'old');

      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      vi.setSystemTime(new Date('2026-11-24T08:00:00Z'));
      await configure({
        export: { enabled: true, format: 'xlsx', folder, everyHours: 1, keep: 2 },
      });
      await service.start();
      await vi.advanceTimersByTimeAsync(FIRST_RUN_DELAY);
      await service.idle();
      await vi.advanceTimersByTimeAsync(HOUR);
      await service.idle();
      await vi.advanceTimersByTimeAsync(HOUR);
      await service.idle();

      const files = readdirSync(folder).sort();
      const ours = files.filter((f) => SCHEDULED_FILE.test(f));
      expect(ours).toEqual([
        'infrascope-scheduled-20261124T090100Z.xlsx',
        'infrascope-scheduled-20261124T100100Z.xlsx',
      ]);
      expect(files.filter((f) => !SCHEDULED_FILE.test(f)).sort()).toEqual([...others].sort());
    });

    it('fails cleanly on a bad folder: logged, audited, no file, and the schedule carries on', async () => {
      const missing = join(folder, 'does-not-exist');
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      await configure({
        export: { enabled: true, format: 'csv', folder: missing, everyHours: 2, keep: 5 },
      });
      await service.start();
      await vi.advanceTimersByTimeAsync(FIRST_RUN_DELAY);
      await service.idle();

      const state = await service.handlers['schedules:get']({}, { actor: 'test', host: 'cli' });
      expect(state.lastExport?.file).toBeNull();
      expect(state.lastExport?.error?.code).toBe('EXPORT_FAILED');
      expect(state.lastExport?.error?.message).toMatch(/does not exist/);
      expect(state.nextExportAt).not.toBeNull();
      expect(h.logs.some((l) => l.includes('scheduled export failed'))).toBe(true);
      const audit = await h.core.store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'schedule.export-failed')
        .execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actor).toBe('system:schedule');
      expect(audit[0]!.target).toBe(missing);

      // The folder appears; the next run succeeds without a restart.
      mkdirSync(missing);
      await vi.advanceTimersByTimeAsync(2 * HOUR);
      await service.idle();
      expect(readdirSync(missing).filter((f) => SCHEDULED_FILE.test(f))).toHaveLength(1);
      expect(readdirSync(missing).filter((f) => f.endsWith('.partial'))).toEqual([]);
    });

    it('fails without a half file when a part of the path is not a folder', async () => {
      // A file where the folder should be: fails for root too, unlike a read-only mode.
      writeFileSync(join(folder, 'blocker'), 'not a folder');
      const bad = join(folder, 'blocker', 'exports');
      await configure({
        export: { enabled: true, format: 'xlsx', folder: bad, everyHours: 1, keep: 1 },
      });
      await service.start();
      const run = await service.runExportNow();
      expect(run.error?.code).toBe('EXPORT_FAILED');
      expect(run.error?.message).toMatch(/not a folder/);
      expect(readdirSync(folder)).toEqual(['blocker']);
    });

    it('resumes from the stored last run after a restart instead of waiting a full period', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      await configure({
        export: { enabled: true, format: 'json', folder, everyHours: 4, keep: 5 },
      });
      await service.start();
      await vi.advanceTimersByTimeAsync(FIRST_RUN_DELAY);
      await service.idle();
      await service.dispose();

      // Three hours later the app starts again: the next export is due in one hour.
      await vi.advanceTimersByTimeAsync(3 * HOUR);
      service = makeService();
      await service.start();
      const state = await service.handlers['schedules:get']({}, { actor: 'test', host: 'cli' });
      expect(Date.parse(state.nextExportAt!) - Date.now()).toBe(HOUR);
      await vi.advanceTimersByTimeAsync(HOUR);
      await service.idle();
      expect(readdirSync(folder)).toHaveLength(2);
    });
  });

  describe('sync snapshots', () => {
    it('saves a snapshot before and after each successful full sync', async () => {
      await configure({ snapshots: { beforeSync: true, afterSync: true } });
      await service.start();
      await syncOnce();
      await service.idle();

      const list = await h.call('snapshots:list', {});
      const byOrigin = new Map(list.map((s) => [s.origin, s]));
      expect(list).toHaveLength(2);
      // The before snapshot took the connection ahead of the sync's write: it holds no VMs yet.
      expect(byOrigin.get('before-sync')?.counts.vm ?? 0).toBe(0);
      expect(byOrigin.get('before-sync')?.label).toBe('before sync vc1');
      expect(byOrigin.get('after-sync')?.counts.vm).toBe(2);
      expect(byOrigin.get('after-sync')?.label).toBe('after sync vc1');
    });

    it('keeps only the newest N sync snapshots and never deletes manual ones', async () => {
      const manual = await h.call('snapshots:save', { label: 'mine' });
      await configure({ snapshots: { afterSync: true, keep: 2 } });
      await service.start();
      for (let i = 0; i < 4; i++) {
        await syncOnce();
        await service.idle();
      }
      const list = await h.call('snapshots:list', {});
      const sync = list.filter((s) => s.origin === 'after-sync').map((s) => s.id);
      expect(sync).toHaveLength(2);
      expect(Math.min(...sync)).toBeGreaterThan(manual.id + 2);
      expect(list.map((s) => s.id)).toContain(manual.id);
    });

    it('saves nothing when off, or when the sync fails', async () => {
      await service.start();
      await syncOnce();
      await service.idle();
      expect(await h.call('snapshots:list', {})).toEqual([]);

      await service.dispose();
      await h.close();
      const double = createCollectorDouble({ kind: 'fail' });
      h = await makeCore({
        collectors: { vcenter: double.factory },
        store: await testStoreLocation(engine),
      });
      const ep = await h.call('endpoints:add', {
        name: 'vc1',
        kind: 'vcenter',
        host: 'vc1.example.test',
        username: 'u',
        password: 'pw',
      });
      endpointId = ep.id;
      service = makeService();
      await configure({ snapshots: { afterSync: true } });
      await service.start();
      await syncOnce();
      await service.idle();
      expect(await h.call('snapshots:list', {})).toEqual([]);
    });
  });

  describe('schedules:get / schedules:set through the core', () => {
    it('stores validated settings as JSON and audits the change', async () => {
      const initial = await h.call('schedules:get', {});
      expect(initial.settings.export.enabled).toBe(false);
      expect(initial.nextExportAt).toBeNull();

      await expect(
        h.call('schedules:set', { export: { enabled: true, folder: 'relative/dir' } }),
      ).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(
        h.call('schedules:set', { export: { enabled: true, folder, everyHours: 0 } }),
      ).rejects.toMatchObject({ code: 'VALIDATION' });

      const saved = await h.call('schedules:set', {
        export: { enabled: true, format: 'csv', folder, everyHours: 12, keep: 4 },
        snapshots: { afterSync: true },
      });
      expect(saved.settings).toEqual({
        export: { enabled: true, format: 'csv', folder, everyHours: 12, keep: 4 },
        snapshots: { beforeSync: false, afterSync: true, keep: 20 },
      });
      expect((await h.call('schedules:get', {})).settings).toEqual(saved.settings);
      const row = await h.core.store.db
        .selectFrom('setting')
        .select('value')
        .where('key', '=', 'schedules.settings')
        .executeTakeFirstOrThrow();
      expect(JSON.parse(row.value)).toEqual(saved.settings);
      const audit = await h.core.store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'schedule.update')
        .execute();
      expect(audit.map((a) => a.actor)).toEqual(['test:alice']);
      expect(existsSync(folder)).toBe(true);
    });
  });

  describe('wired into the core', () => {
    it('core.start() starts the service: a scheduled sync leaves an after-sync snapshot', async () => {
      await h.call('schedules:set', { snapshots: { afterSync: true } });
      await h.core.start({ endpointIds: [endpointId] });
      await h.finished([endpointId]);
      await vi.waitFor(
        async () => {
          const list = await h.call('snapshots:list', {});
          expect(list.map((s) => s.origin)).toContain('after-sync');
        },
        { timeout: 5000, interval: 20 },
      );
    });
  });
});
