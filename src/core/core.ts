import { join } from 'node:path';
import { sql } from 'kysely';
import type { Channel, Reply, RequestInput, RequestOutput } from '../shared/contract.js';
import { EXPORTS_FOLDER } from '../shared/export.js';
import { unwrapReply } from '../shared/transport.js';
import { auditPersonRequest } from './accounts/audit-requests.js';
import { createAccountsCapability } from './accounts/capability.js';
import type { CollectorFactory } from './collectors/collector.js';
import type { EventHub, Handler, Handlers, RequestContext } from './contract/handlers.js';
import { createEventHub, dispatch } from './contract/handlers.js';
import { createVsphereCollector } from './collectors/vsphere/index.js';
import { createHyperVCollector } from './collectors/hyperv/index.js';
import type { EndpointsDeps, StartOptions } from './endpoints/capability.js';
import { createEndpointsCapability } from './endpoints/capability.js';
import { createInventoryCapability } from './inventory/handlers.js';
import { sweepInterruptedRuns } from './sync/runs.js';
import { createDetailsCapability } from './inventory/details.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { makePrivate } from './store/private-files.js';
import type { StoreAvailability } from './store/availability.js';
import { createStoreAvailability } from './store/availability.js';
import type { Store } from './store/sqlite.js';
import { STORE_FILE } from './store/sqlite.js';
import type { RecoveryNotice } from './store/recovery.js';
import { openStoreWithRecovery } from './store/recovery.js';
import { createStoreEvents } from './store/pg-events.js';
import { backupPolicy, createBackupSchedule } from './store/backup-schedule.js';
import type { VaultBackend } from './vault/vault.js';
import { MIGRATIONS } from './store/migrations/index.js';
import type { StoreKey } from './vault/store-key.js';
import type { TeamKeyVault } from './vault/team-key-vault.js';
import { teamKeyVault } from './vault/team-key-vault.js';
import { createAlertsCapability } from './alerts/service.js';
import { createMetricsCapability } from './metrics/service.js';
import type { Notifier } from './notify/notifier.js';
import type { NotifyDeps } from './notify/service.js';
import { createNotifyCapability } from './notify/service.js';
import type { ExportCapability } from './export/capability.js';
import { createExportCapability } from './export/capability.js';
import { createSnapshotsCapability } from './snapshots/capability.js';
import type { ImportRuns } from './snapshots/import-runs.js';
import { createImportRuns } from './snapshots/import-runs.js';
import { createSchedulesCapability } from './schedules/service.js';
import { createPreferencesCapability } from './preferences/service.js';
import type { EndpointKind } from '../shared/endpoints.js';
import type { StoreStatus } from '../shared/app.js';

export const APP_VERSION = '0.1.0';

/** The real collectors by endpoint kind. */
export const DEFAULT_COLLECTORS: Partial<Record<EndpointKind, CollectorFactory>> = {
  vcenter: (target) => createVsphereCollector(target),
  esxi: (target) => createVsphereCollector(target),
  hyperv: (target) => createHyperVCollector(target),
};

export interface CoreOptions {
  readonly dataDir: string;
  readonly host: 'desktop' | 'serve' | 'cli';
  readonly vault: VaultBackend;
  readonly log?: Logger;
  /** better-sqlite3 binary for a non-Node ABI (Electron). */
  readonly nativeBinding?: string;
  /** Collectors by endpoint kind; tests pass doubles. */
  readonly collectors?: Partial<Record<EndpointKind, CollectorFactory>>;
  /** Injected clock for schedulers and time stamps. */
  readonly now?: () => Date;
  /** Scheduler tuning (tests, the soak benchmark). */
  readonly scheduler?: EndpointsDeps['scheduler'];
  /** Use an in-memory database (tests). */
  readonly memory?: boolean;
  /**
   * Where the store lives (`--store`, INFRASCOPE_STORE): a `postgres://` URL for a team store or a
   * SQLite file. Default: infrascope.db in the data directory, which keeps logs, keys and exports
   * whichever store is used.
   */
  readonly store?: string;
  /** A short-lived process: the store without its readers' large cache (OpenStoreOptions.compact). */
  readonly compactStore?: boolean;
  /**
   * The team store key this host holds (INFRASCOPE_STORE_KEY, `--store-key-file`): a PostgreSQL
   * store seals endpoint secrets with it instead of `vault`, which stays this machine's own.
   */
  readonly storeKey?: StoreKey | null;
  /** Desktop notifications for new critical alerts (the Electron shell passes one). */
  readonly notifier?: Notifier;
  /** Webhook delivery tuning (tests: short backoff). */
  readonly webhookDelivery?: NotifyDeps['delivery'];
}

export interface Core {
  readonly handlers: Handlers;
  readonly events: EventHub;
  readonly store: Store;
  readonly log: Logger;
  readonly dataDir: string;
  /** Imports running now: the `serve` upload and the desktop dialog run theirs through it. */
  readonly imports: ImportRuns;
  /** The files `export:save` wrote in this run: what the serve download may hand out. */
  readonly savedExports: ExportCapability['saved'];
  /** Set when the store was damaged at start and restored from a backup (or started empty). */
  readonly recovery: RecoveryNotice | null;
  /** Checks the caller's host, validates and runs one request: what every transport calls. */
  request(channel: unknown, input: unknown, ctx: RequestContext): Promise<Reply<Channel>>;
  /**
   * The same dispatcher for in-process callers (the CLI, tests): typed input and output, and a
   * failure thrown as the typed `AppError`.
   */
  invoke<C extends Channel>(
    channel: C,
    input: RequestInput<C>,
    ctx: RequestContext,
  ): Promise<RequestOutput<C>>;
  /** Starts background services (the scheduler). Hosts that only query never call it. */
  start(opts?: StartOptions): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * The composition root: opens the store, wires capabilities and returns the contract's handlers.
 * Electron-free, so the desktop app, the CLI and `serve` share it.
 *
 * @example
 * const core = await createCore({ dataDir, host: 'cli', vault: keyFileVault(dataDir) });
 * const reply = await core.request('inventory:query', { kind: 'vms' }, { actor, host: 'cli' });
 * const vms = await core.invoke('inventory:query', { kind: 'vms' }, { actor, host: 'cli' });
 */
export async function createCore(opts: CoreOptions): Promise<Core> {
  const log = opts.log ?? silentLogger();
  const now = opts.now ?? ((): Date => new Date());
  for (const fix of makePrivate(opts.dataDir)) {
    log.warn(fix, 'a data file was open to other users; made private');
  }
  const { store, recovery } = await openStoreWithRecovery({
    file: opts.memory ? ':memory:' : (opts.store ?? join(opts.dataDir, STORE_FILE)),
    ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
    ...(opts.compactStore ? { compact: true } : {}),
  });
  if (recovery) log.error({ recovery }, 'the store was damaged and has been recovered');
  // A shared store cannot use one machine's key file or keychain: its secrets take the team key.
  const team: TeamKeyVault | null =
    store.engine === 'postgres' ? teamKeyVault(opts.storeKey ?? null) : null;
  const vault = team ?? opts.vault;
  const events = createEventHub(log);
  // What the pages see of the store: whether it answers (team store), and whether other
  // processes' changes are pushed here (listening) or must be polled (SQLite, listener down).
  const storeStatus = (): StoreStatus => ({
    ...(availability?.status() ?? { state: 'available' }),
    changes: storeEvents?.listening ? 'pushed' : 'polled',
  });
  const statusChanged = (): void => events.emit('store:status', storeStatus());
  const availability = watchAvailability(store, statusChanged, log, now);
  // A team store: this process's changes are announced to the others, theirs heard here. Pages
  // (serve, desktop) listen from the start; a CLI command only once it starts background work.
  const storeEvents =
    store.engine === 'postgres'
      ? createStoreEvents({
          db: store.db,
          pool: store.pool,
          events,
          log,
          onListening: statusChanged,
        })
      : null;
  if (opts.host !== 'cli') await storeEvents?.listen();
  const endpoints = createEndpointsCapability({
    db: store.db,
    vault,
    events,
    log,
    now,
    collectors: opts.collectors ?? DEFAULT_COLLECTORS,
    ...(opts.scheduler ? { scheduler: opts.scheduler } : {}),
  });
  const metrics = createMetricsCapability({ db: store.db, log, now });
  const notify = createNotifyCapability({
    db: store.db,
    vault,
    events,
    log,
    now,
    ...(opts.notifier ? { notifier: opts.notifier } : {}),
    ...(opts.webhookDelivery ? { delivery: opts.webhookDelivery } : {}),
  });
  const alerts = createAlertsCapability({
    db: store.db,
    events,
    log,
    now,
    beforeEvaluate: () => metrics.drain(),
    onRaised: (raised) => notify.alertsRaised(raised),
  });
  const exports = createExportCapability({
    store,
    events,
    log,
    now,
    appVersion: APP_VERSION,
    exportsDir: join(opts.dataDir, EXPORTS_FOLDER),
    ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
  });
  const schedules = createSchedulesCapability({
    store,
    events,
    log,
    now,
    runExport: exports.runInFolder,
  });
  const imports = createImportRuns({ events });
  const schemaVersion = Object.keys(MIGRATIONS).sort().at(-1) ?? '';
  const handlers: Handlers = translateLoss(availability, {
    'app:storeStatus': () => Promise.resolve(storeStatus()),
    'app:info': async () => ({
      name: 'Infrascope',
      version: APP_VERSION,
      host: opts.host,
      dataDir: opts.dataDir,
      store: { engine: store.engine, location: store.location },
      vaultBackend: vault.id,
      schemaVersion,
      storeKey: team ? await team.status(store.db) : null,
      backups: backupPolicy(store),
      recovery,
    }),
    ...createInventoryCapability(store.db),
    ...createDetailsCapability(store.db),
    ...endpoints.handlers,
    ...alerts.handlers,
    ...metrics.handlers,
    ...notify.handlers,
    ...exports.handlers,
    ...createSnapshotsCapability({ store, log, now, imports }),
    ...schedules.handlers,
    ...createPreferencesCapability(store.db),
    ...createAccountsCapability({ db: store.db, now }),
  });
  // On PostgreSQL the schedule only says, once, that backups are the server operator's.
  const backups = createBackupSchedule({ store, log });
  let disposed = false;
  return {
    handlers,
    events,
    store,
    log,
    dataDir: opts.dataDir,
    imports,
    savedExports: exports.saved,
    recovery,
    request: async (channel, input, ctx) => {
      const reply = await dispatch(handlers, channel, input, ctx, log);
      // The request is done either way: a failed audit write is logged, not turned into its error.
      await auditPersonRequest(store.db, channel, input, ctx, reply, now()).catch((e: unknown) =>
        log.error({ err: e, channel }, 'could not write the audit row of a request'),
      );
      return reply;
    },
    invoke: async <C extends Channel>(
      channel: C,
      input: RequestInput<C>,
      ctx: RequestContext,
    ): Promise<RequestOutput<C>> =>
      // dispatch answers channel C with C's reply.
      unwrapReply((await dispatch(handlers, channel, input, ctx, log)) as Reply<C>),
    start: async (startOpts) => {
      await storeEvents?.listen();
      // Runs a crashed process left `running` would otherwise show as running forever.
      const interrupted = await sweepInterruptedRuns(store.db, now());
      if (interrupted > 0)
        log.warn({ interrupted }, 'closed syncs left running by a stopped process');
      backups.start();
      metrics.start();
      alerts.start();
      // Before the scheduler, so the first sync's snapshots are not missed.
      await schedules.start();
      await endpoints.start(startOpts);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      availability?.dispose();
      backups.dispose();
      await endpoints.dispose();
      await schedules.dispose();
      await alerts.dispose();
      await metrics.dispose();
      await notify.dispose();
      await exports.dispose();
      imports.dispose();
      // After the services, so their last changes are announced before the store closes.
      await storeEvents?.dispose();
      await store.close();
    },
  };
}

/**
 * A team store's availability (store/availability.ts): a lost connection, seen by a request or
 * by the pool dropping an idle client, marks it unavailable, and `store:status` says so and
 * again when a probe finds it back. Null for SQLite, whose file does not go away like that.
 */
function watchAvailability(
  store: Store,
  changed: () => void,
  log: Logger,
  now: () => Date,
): StoreAvailability | null {
  if (store.engine !== 'postgres') return null;
  const availability = createStoreAvailability({
    where: store.location,
    probe: async () => {
      await sql`SELECT 1`.execute(store.db);
    },
    // The pages reload when it says the store is back (renderer stores/live.ts).
    onChange: changed,
    log,
    now,
  });
  store.pool.on('error', (e) => void availability.failed(e));
  return availability;
}

/** Every handler, its failures passed through `availability` (a lost connection becomes typed). */
function translateLoss(availability: StoreAvailability | null, handlers: Handlers): Handlers {
  if (!availability) return handlers;
  const out: Record<string, Handler<Channel>> = {};
  for (const [channel, handler] of Object.entries(handlers) as [Channel, Handler<Channel>][]) {
    out[channel] = async (input, ctx) => {
      try {
        return await handler(input, ctx);
      } catch (e) {
        throw availability.failed(e);
      }
    };
  }
  return out as Handlers;
}
