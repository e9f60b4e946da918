import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventMap, EventName, SyncProgressEvent } from '../../shared/contract.js';
import { AppError, serializeError } from '../../shared/errors.js';
import type { ExportFormat } from '../../shared/export.js';
import type {
  ScheduleSettings,
  ScheduleState,
  ScheduledExportRun,
} from '../../shared/schedules.js';
import { DEFAULT_SCHEDULE_SETTINGS, scheduleSettingsSchema } from '../../shared/schedules.js';
import type { EventHub, EventSource, HandlerSlice } from '../contract/handlers.js';
import type { ExportCapability } from '../export/capability.js';
import { writeAudit } from '../endpoints/audit.js';
import type { Logger } from '../logger.js';
import {
  deleteStoreSnapshot,
  listStoreSnapshots,
  saveInventorySnapshot,
} from '../snapshots/capability.js';
import type { Store } from '../store/sqlite.js';
import type { Timers } from '../sync/timers.js';
import { realTimers } from '../sync/timers.js';

export const SCHEDULE_SETTING = 'schedules.settings';
export const LAST_EXPORT_SETTING = 'schedules.lastExport';
const ACTOR = 'system:schedule';

export type SchedulesChannels = 'schedules:get' | 'schedules:set';

/** Our file names; pruning only ever considers files matching this, never anything else. */
export const SCHEDULED_FILE = /^infrascope-scheduled-\d{8}T\d{6}Z\.(xlsx|zip|json\.gz)$/;

const EXTENSIONS: Record<ExportFormat, string> = { xlsx: 'xlsx', csv: 'zip', json: 'json.gz' };

/** `infrascope-scheduled-20261124T083800Z.xlsx`: sorts by time as text. */
export function scheduledFileName(format: ExportFormat, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `infrascope-scheduled-${stamp}.${EXTENSIONS[format]}`;
}

export interface SchedulesDeps {
  readonly store: Store;
  readonly events: EventHub;
  readonly log: Logger;
  readonly now: () => Date;
  /**
   * The export capability's `runInFolder`: scheduled exports go through the same writer as the
   * UI's, and write only into their configured folder under a name of ours.
   */
  readonly runExport: ExportCapability['runInFolder'];
  readonly timers?: Timers;
  /** Delay before the first export when none ever ran (default one minute after start). */
  readonly firstRunDelayMs?: number;
}

export interface SchedulesService {
  readonly handlers: HandlerSlice<SchedulesChannels>;
  /** Reads the settings, arms the export timer and starts listening for syncs. */
  start(): Promise<void>;
  /** Runs one scheduled export now, whatever the timer says; never throws. */
  runExportNow(): Promise<ScheduledExportRun>;
  /** Resolves once the export and snapshots under way have settled. */
  idle(): Promise<void>;
  dispose(): Promise<void>;
}

export async function readScheduleSettings(store: Store): Promise<ScheduleSettings> {
  const row = await store.db
    .selectFrom('setting')
    .select('value')
    .where('key', '=', SCHEDULE_SETTING)
    .executeTakeFirst();
  if (!row) return DEFAULT_SCHEDULE_SETTINGS;
  try {
    const parsed = scheduleSettingsSchema.safeParse(JSON.parse(row.value));
    return parsed.success ? parsed.data : DEFAULT_SCHEDULE_SETTINGS;
  } catch {
    // A hand-edited or truncated value: fall back to "everything off" rather than fail startup.
    return DEFAULT_SCHEDULE_SETTINGS;
  }
}

async function readLastExport(store: Store): Promise<ScheduledExportRun | null> {
  const row = await store.db
    .selectFrom('setting')
    .select('value')
    .where('key', '=', LAST_EXPORT_SETTING)
    .executeTakeFirst();
  if (!row) return null;
  try {
    return JSON.parse(row.value) as ScheduledExportRun;
  } catch {
    return null;
  }
}

async function writeSetting(store: Store, key: string, value: string): Promise<void> {
  await store.db
    .insertInto('setting')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/** Deletes all but the newest `keep` files of our naming pattern in `folder`. */
export async function pruneScheduledExports(folder: string, keep: number): Promise<string[]> {
  const ours = (await readdir(folder, { withFileTypes: true }))
    .filter((d) => d.isFile() && SCHEDULED_FILE.test(d.name))
    .map((d) => d.name)
    .sort();
  const doomed = ours.slice(0, Math.max(0, ours.length - keep));
  for (const name of doomed) await rm(join(folder, name), { force: true });
  return doomed;
}

const SYNC_ORIGINS: readonly string[] = ['before-sync', 'after-sync'];

/**
 * Deletes all but the newest `keep` snapshots taken around syncs. Manual, scheduled and imported
 * snapshots are never touched.
 */
export async function pruneSyncSnapshots(store: Store, keep: number): Promise<number[]> {
  const doomed = (await listStoreSnapshots(store))
    .filter((s) => SYNC_ORIGINS.includes(s.origin) && !s.readOnly)
    .sort((a, b) => b.id - a.id)
    .slice(keep)
    .map((s) => s.id);
  for (const id of doomed) await deleteStoreSnapshot(store, id);
  return doomed;
}

/**
 * Scheduled exports and sync snapshots, configured in settings (`schedules:get`/`schedules:set`).
 *
 * Exports: every `everyHours`, one export through the export capability into the folder, named
 * `infrascope-scheduled-<UTC stamp>.<ext>`; then all but the newest `keep` such files are
 * deleted. The time of the last attempt is stored, so an app that runs a few hours a day still
 * exports once a period is due. A failure (folder missing, not writable, disk full) is logged and
 * audited (`schedule.export-failed`) and the service carries on.
 *
 * Snapshots follow the sync engine's `sync:progress` events, not `inventory:changed`: the latter
 * also fires for every incremental update of a watched endpoint and when an endpoint is removed,
 * while `sync:progress` marks a full sync exactly once at each end — phase `queued` as it starts
 * and state `succeeded` after its write. The before-sync snapshot is requested synchronously from
 * the `queued` event, so it takes the store's connection lock ahead of that sync's write. Sync
 * snapshots are kept to the newest `snapshots.keep`, since a sync may run every few minutes.
 */
export function createSchedulesCapability(deps: SchedulesDeps): SchedulesService {
  const { store, log } = deps;
  const timers = deps.timers ?? realTimers;
  const firstRunDelayMs = deps.firstRunDelayMs ?? 60_000;
  let settings: ScheduleSettings = DEFAULT_SCHEDULE_SETTINGS;
  let lastExport: ScheduledExportRun | null = null;
  let running = false;
  let timer: unknown = null;
  let nextAt: Date | null = null;
  let exporting: Promise<ScheduledExportRun> | null = null;
  const pending = new Set<Promise<unknown>>();
  let unsubscribe: (() => void) | null = null;

  const track = <T>(p: Promise<T>): Promise<T> => {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    pending.add(settled);
    void settled.then(() => pending.delete(settled));
    return p;
  };

  const audit = async (
    action: string,
    target: string | null,
    details: Readonly<Record<string, unknown>>,
  ): Promise<void> => {
    try {
      await writeAudit(store.db, {
        actor: ACTOR,
        action,
        target,
        details,
        at: deps.now(),
      });
    } catch (e) {
      log.warn({ err: serializeError(e), action }, 'could not write the audit row');
    }
  };

  async function exportOnce(): Promise<ScheduledExportRun> {
    const cfg = settings.export;
    const at = deps.now();
    let run: ScheduledExportRun;
    try {
      // Never a relative path: it would land in whatever the process's working directory is.
      if (cfg.folder === '')
        throw new AppError('VALIDATION', 'No folder set for scheduled exports');
      const result = await deps.runExport(
        { format: cfg.format, where: [], anonymize: false, bom: false },
        cfg.folder,
        scheduledFileName(cfg.format, at),
      );
      run = { at: at.toISOString(), file: result.file, error: null };
      log.info({ file: result.file, bytes: result.bytes }, 'scheduled export written');
      try {
        const removed = await pruneScheduledExports(cfg.folder, cfg.keep);
        if (removed.length > 0) log.info({ removed }, 'old scheduled exports removed');
      } catch (e) {
        log.warn({ err: serializeError(e), folder: cfg.folder }, 'could not prune old exports');
      }
    } catch (e) {
      const error = serializeError(e);
      run = { at: at.toISOString(), file: null, error };
      log.warn({ err: error, folder: cfg.folder }, 'scheduled export failed');
      await audit('schedule.export-failed', cfg.folder, { format: cfg.format, error });
    }
    lastExport = run;
    try {
      await writeSetting(store, LAST_EXPORT_SETTING, JSON.stringify(run));
    } catch (e) {
      log.warn({ err: serializeError(e) }, 'could not record the scheduled export');
    }
    return run;
  }

  function runExportNow(): Promise<ScheduledExportRun> {
    // Never two at once: a timer firing during a manual run joins it.
    // Re-armed from the new last run, inside the tracked promise so idle() sees the next time.
    exporting ??= track(
      exportOnce().finally(() => {
        exporting = null;
        arm();
      }),
    );
    return exporting;
  }

  function arm(): void {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
    nextAt = null;
    if (!running || !settings.export.enabled) return;
    const now = deps.now().getTime();
    const period = settings.export.everyHours * 3_600_000;
    const due = lastExport ? Date.parse(lastExport.at) + period : now + firstRunDelayMs;
    const delay = Math.max(0, Math.min(due - now, period));
    nextAt = new Date(now + delay);
    timer = timers.setTimeout(() => {
      timer = null;
      void runExportNow();
    }, delay);
  }

  function snapshot(origin: 'before-sync' | 'after-sync', p: SyncProgressEvent): void {
    const label = `${origin === 'before-sync' ? 'before' : 'after'} sync ${p.endpoint}`;
    // Called synchronously from the event, so the snapshot queues for the connection before the
    // sync's own write does.
    const saving = saveInventorySnapshot(store, { label, origin }, deps.now()).then(
      async (info) => {
        log.info({ id: info.id, origin, endpoint: p.endpoint }, 'sync snapshot saved');
        try {
          const removed = await pruneSyncSnapshots(store, settings.snapshots.keep);
          if (removed.length > 0) log.info({ removed }, 'old sync snapshots removed');
        } catch (e) {
          log.warn({ err: serializeError(e) }, 'could not prune old sync snapshots');
        }
      },
      async (e: unknown) => {
        const error = serializeError(e);
        log.warn({ err: error, origin, endpoint: p.endpoint }, 'sync snapshot failed');
        await audit('schedule.snapshot-failed', p.endpoint, { origin, error });
      },
    );
    void track(saving);
  }

  const onEvent = <E extends EventName>(
    name: E,
    payload: EventMap[E],
    source: EventSource,
  ): void => {
    // Snapshots around a sync are taken by the process that runs it.
    if (!running || name !== 'sync:progress' || source !== 'local') return;
    const p = payload as SyncProgressEvent;
    if (p.state === 'running' && p.phase === 'queued' && settings.snapshots.beforeSync) {
      snapshot('before-sync', p);
    } else if (p.state === 'succeeded' && settings.snapshots.afterSync) {
      snapshot('after-sync', p);
    }
  };

  const state = async (): Promise<ScheduleState> => ({
    settings: running ? settings : await readScheduleSettings(store),
    lastExport: running ? lastExport : await readLastExport(store),
    nextExportAt: nextAt ? nextAt.toISOString() : null,
  });

  return {
    handlers: {
      'schedules:get': () => state(),
      'schedules:set': async (input, ctx) => {
        const value = JSON.stringify(input);
        await store.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('setting')
            .values({ key: SCHEDULE_SETTING, value })
            .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
            .execute();
          await writeAudit(trx, {
            actor: ctx.actor,
            action: 'schedule.update',
            target: null,
            details: input,
            at: deps.now(),
          });
        });
        settings = input;
        arm();
        return state();
      },
    },
    async start() {
      if (running) return;
      settings = await readScheduleSettings(store);
      lastExport = await readLastExport(store);
      running = true;
      unsubscribe = deps.events.subscribe(onEvent);
      arm();
    },
    runExportNow,
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async dispose() {
      running = false;
      unsubscribe?.();
      unsubscribe = null;
      arm();
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
