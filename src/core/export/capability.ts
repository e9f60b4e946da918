import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ENTITY_TYPES } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type {
  ExportFormat,
  ExportProgressEvent,
  ExportRequestParsed,
  ExportResult,
} from '../../shared/export.js';
import { exportFileNameSchema } from '../../shared/export.js';
import { ENTITY_TYPES as TYPES } from '../../shared/entities.js';
import type { EventHub, HandlerSlice } from '../contract/handlers.js';
import type { Logger } from '../logger.js';
import { exclusive } from '../snapshots/capability.js';
import { openSnapshotSource, resolveSnapshotRef } from '../snapshots/store.js';
import type pg from 'pg';
import type { PostgresStore, Store } from '../store/sqlite.js';
import { openSnapshotSourcePg, resolveSnapshotRefPg } from '../snapshots/store-pg.js';
import type { AsyncSource } from './source-pg.js';
import { freshStatistics, inPgTransaction, openLivePg } from './source-pg.js';
import { spoolSource } from './spool.js';
import { anonymizeSource, pseudonymKey } from './anonymize.js';
import { writeAtomically } from './atomic.js';
import type { ExportLedger } from './ledger.js';
import { createExportLedger } from './ledger.js';
import { writeCsvExport } from './csv.js';
import { applyVmFilters, filterEndpoint, filterVmIds } from './filters.js';
import { writeJsonSnapshot } from './json-snapshot.js';
import { writeRvtoolsWorkbook } from './rvtools.js';
import type { InventorySource, LiveOptions } from './source.js';
import { openLiveSource } from './source.js';

/**
 * On PostgreSQL the exporters read a spooled copy (spool.ts), made in one read transaction so
 * the export is one state of the store.
 */
async function spooled(
  store: PostgresStore,
  open: (client: pg.ClientBase) => Promise<AsyncSource>,
  signal?: AbortSignal,
): Promise<InventorySource> {
  await freshStatistics(store);
  return inPgTransaction(store, async (c) => spoolSource(await open(c), { signal }), 'read');
}

/** The live inventory of either engine, as the exporters read it (close it when done). */
export async function openLiveStoreSource(
  store: Store,
  opts: LiveOptions = {},
  signal?: AbortSignal,
): Promise<InventorySource> {
  return store.engine === 'postgres'
    ? spooled(store, (c) => openLivePg(c, opts), signal)
    : openLiveSource(store.sqlite, store.file, opts);
}

export interface ExportDeps {
  readonly store: Store;
  readonly events: EventHub;
  readonly log: Logger;
  readonly now: () => Date;
  readonly appVersion: string;
  readonly nativeBinding?: string;
  /** Where `export:save` writes (the data directory's `exports/`). */
  readonly exportsDir: string;
}

/** What to export, without where: the host decides the folder. */
export type ExportSelectionParsed = Omit<ExportRequestParsed, 'out'>;

export interface RunExportOptions {
  /** Called on every progress step (the CLI draws its bar from it). */
  readonly onProgress?: (p: ExportProgressEvent) => void;
  readonly signal?: AbortSignal;
}

export interface ExportCapability {
  readonly handlers: HandlerSlice<'export:run' | 'export:save' | 'export:cancel'>;
  run(req: ExportRequestParsed, opts?: RunExportOptions): Promise<ExportResult>;
  /**
   * Writes into `folder` under `fileName` (a plain name, checked: never a path), and nowhere
   * else: scheduled exports and `export:save` go through it.
   */
  runInFolder(
    req: ExportSelectionParsed,
    folder: string,
    fileName: string,
    opts?: RunExportOptions,
  ): Promise<ExportResult>;
  /** The files `export:save` wrote in this run, by export id (the serve download's only source). */
  readonly saved: Pick<ExportLedger, 'fileOf'>;
  /** Cancels running exports (on shutdown). */
  dispose(): Promise<void>;
}

const THROTTLE_MS = 100;

const EXTENSIONS: Readonly<Record<ExportFormat, string>> = {
  xlsx: '.xlsx',
  csv: '.zip',
  json: '.json.gz',
};

/** The extension an export writes: one CSV type is a plain .csv, several go into a zip. */
export function exportExtension(format: ExportFormat, csvTypes?: number): string {
  return format === 'csv' && csvTypes === 1 ? '.csv' : EXTENSIONS[format];
}

/** `name` with the export's extension, and a ` (2)`... before it when the file exists. */
function freshName(folder: string, name: string, ext: string): string {
  const stem = name.toLowerCase().endsWith(ext) ? name.slice(0, -ext.length) : name;
  for (let i = 1; ; i++) {
    const candidate = `${stem}${i === 1 ? '' : ` (${i})`}${ext}`;
    if (!existsSync(join(folder, candidate))) return candidate;
  }
}

/**
 * Exports: XLSX shaped like RVTools, CSV per entity type, the gzip JSON snapshot. Each export
 * writes a temp file renamed into place, reports progress as `export:progress` events with real
 * row counts, and can be cancelled by id (`export:cancel`), which removes the temp file.
 */
export function createExportCapability(deps: ExportDeps): ExportCapability {
  const running = new Map<string, AbortController>();

  async function openSource(
    asked: ExportRequestParsed,
    signal: AbortSignal,
  ): Promise<InventorySource> {
    const store = deps.store;
    // A scope's endpoint narrows every sheet, as --endpoint does; its tag narrows the VMs.
    const req =
      asked.endpoint === undefined && asked.scope?.endpoint !== undefined
        ? { ...asked, endpoint: asked.scope.endpoint }
        : asked;
    const asks = req.snapshot;
    const ref =
      asks === undefined
        ? 'now'
        : store.engine === 'postgres'
          ? await resolveSnapshotRefPg(store.pool, asks)
          : await exclusive(store.db, () => resolveSnapshotRef(store.sqlite, asks));
    let source: InventorySource;
    if (ref === 'now') {
      source = await openLiveStoreSource(store, opts(req), signal);
    } else {
      if (req.where.length > 0 || req.scope?.tag !== undefined) {
        throw new AppError(
          'VALIDATION',
          'Filters (--where) and a tag scope apply to the live inventory, not to a snapshot',
        );
      }
      source =
        store.engine === 'postgres'
          ? await spooled(store, (c) => openSnapshotSourcePg(c, ref), signal)
          : openSnapshotSource(store.sqlite, ref);
      if (req.endpoint !== undefined) source = filterEndpoint(source, req.endpoint);
    }
    try {
      source = await applyVmFilters(store.db, source, req.where, req.scope);
      if (req.ids !== undefined) source = filterVmIds(source, req.ids);
      if (req.anonymize) source = anonymizeSource(source, await pseudonymKey(store.db));
      return source;
    } catch (e) {
      source.close();
      throw e;
    }
  }

  function opts(req: ExportRequestParsed): {
    endpoint?: string;
    nativeBinding?: string;
    now: Date;
  } {
    return {
      now: deps.now(),
      ...(req.endpoint !== undefined ? { endpoint: req.endpoint } : {}),
      ...(deps.nativeBinding ? { nativeBinding: deps.nativeBinding } : {}),
    };
  }

  async function run(req: ExportRequestParsed, ro: RunExportOptions = {}): Promise<ExportResult> {
    const exportId = req.exportId ?? randomBytes(8).toString('hex');
    if (running.has(exportId))
      throw new AppError('CONFLICT', `Export ${exportId} is already running`);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    ro.signal?.addEventListener('abort', onAbort, { once: true });
    if (ro.signal?.aborted) controller.abort();
    running.set(exportId, controller);
    const started = Date.now();
    let last = 0;
    let lastPhase = '';
    const emit = (p: ExportProgressEvent, force = false): void => {
      ro.onProgress?.(p);
      const t = Date.now();
      if (force || p.phase !== lastPhase || t - last >= THROTTLE_MS) {
        last = t;
        lastPhase = p.phase;
        deps.events.emit('export:progress', p);
      }
    };
    const progress = (phase: string, done: number, total: number): void =>
      emit({ exportId, state: 'running', phase, done, total });
    let finalDone = 0;
    try {
      emit({ exportId, state: 'running', phase: 'start', done: 0 }, true);
      const source = await openSource(req, controller.signal);
      try {
        const signal = controller.signal;
        const track = (phase: string, done: number, total: number): void => {
          finalDone = done;
          progress(phase, done, total);
        };
        const { result, file, bytes } = await writeAtomically(req.out, async (tmp) => {
          switch (req.format) {
            case 'xlsx':
              return writeRvtoolsWorkbook(source, tmp, {
                signal,
                progress: track,
                appVersion: deps.appVersion,
                now: deps.now(),
              });
            case 'csv':
              return writeCsvExport(source, tmp, {
                types: req.types ?? (TYPES as typeof ENTITY_TYPES),
                bom: req.bom,
                signal,
                progress: track,
              });
            case 'json':
              return writeJsonSnapshot(source, tmp, {
                appVersion: deps.appVersion,
                anonymized: req.anonymize,
                signal,
                progress: track,
              });
          }
        });
        if (controller.signal.aborted) throw new AppError('CANCELLED', 'Export cancelled');
        const out: ExportResult = {
          exportId,
          format: req.format,
          file,
          bytes,
          rows: result,
          durationMs: Date.now() - started,
        };
        emit(
          { exportId, state: 'succeeded', phase: 'done', done: finalDone, total: finalDone },
          true,
        );
        deps.log.info(
          { exportId, format: req.format, bytes, ms: out.durationMs },
          'export written',
        );
        return out;
      } finally {
        source.close();
      }
    } catch (e) {
      const cancelled = e instanceof AppError && e.code === 'CANCELLED';
      emit(
        { exportId, state: cancelled ? 'cancelled' : 'failed', phase: 'done', done: finalDone },
        true,
      );
      throw e;
    } finally {
      running.delete(exportId);
      ro.signal?.removeEventListener('abort', onAbort);
    }
  }

  function stamp(d: Date): string {
    return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  }

  async function runInFolder(
    req: ExportSelectionParsed,
    folder: string,
    fileName: string,
    ro?: RunExportOptions,
  ): Promise<ExportResult> {
    const name = exportFileNameSchema.safeParse(fileName);
    if (!name.success) {
      throw new AppError('VALIDATION', `"${fileName.slice(0, 200)}" is not a plain file name`);
    }
    return run({ ...req, out: join(folder, name.data) }, ro);
  }

  const saved = createExportLedger();

  return {
    run,
    runInFolder,
    saved,
    handlers: {
      'export:run': (input) => run(input),
      'export:save': async ({ fileName, ...req }) => {
        await mkdir(deps.exportsDir, { recursive: true, mode: 0o700 });
        const ext = exportExtension(req.format, req.types?.length);
        const name = freshName(deps.exportsDir, fileName ?? `infrascope-${stamp(deps.now())}`, ext);
        const result = await runInFolder(req, deps.exportsDir, name);
        saved.record(result.exportId, result.file);
        return result;
      },
      'export:cancel': (input) => {
        const c = running.get(input.exportId);
        c?.abort();
        return Promise.resolve({ cancelled: c !== undefined });
      },
    },
    dispose() {
      for (const c of running.values()) c.abort();
      return Promise.resolve();
    },
  };
}
