import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-24T0000-initial.js';
import * as endpointTofu from './2026-11-24T0100-endpoint-tofu.js';
import * as alertsMetrics from './2026-11-24T0700-alerts-metrics.js';
import * as snapshots from './2026-11-24T0800-snapshots.js';
import * as workspaceIndexes from './2026-11-24T0930-workspace-indexes.js';
import * as metricsTimeMajor from './2026-11-24T1000-metrics-time-major.js';
import * as healthFields from './2026-11-24T1100-health-fields.js';
import * as endpointTlsValidTo from './2026-11-24T1200-endpoint-tls-valid-to.js';
import * as vmSortSearch from './2026-11-24T1300-vm-sort-search.js';
import * as syncRunOwner from './2026-11-24T1400-sync-run-owner.js';
import * as relationsOnly from './2026-12-03T0100-relations-only.js';
import * as endpointAbout from './2026-12-04T0050-endpoint-about.js';
import * as rvtoolsVm from './2026-12-04T0100-rvtools-vm.js';
import * as rvtoolsHost from './2026-12-04T0200-rvtools-host.js';
import * as naturalSort from './2026-12-04T0300-natural-sort.js';
import * as dvswitch from './2026-12-04T0400-dvswitch.js';
import * as datastoreFiles from './2026-12-04T0500-datastore-files.js';
import * as rowHash from './2026-12-04T0600-row-hash.js';
import * as accounts from './2026-12-04T0700-accounts.js';
import * as liveVmIndexes from './2026-12-04T0800-live-vm-indexes.js';
import * as taggedVms from './2026-12-04T0900-tagged-vms.js';

/**
 * The PostgreSQL store's migrations: one file per version, the same names and meaning as the
 * SQLite set in ../migrations (a test holds the two lists equal and compares the schemas they
 * build). Bundled statically like that set. A new SQLite migration gets its counterpart here
 * under the same name; append, never edit.
 */
export const PG_MIGRATIONS: Record<string, Migration> = {
  '2026-11-24T0000-initial': initial,
  '2026-11-24T0100-endpoint-tofu': endpointTofu,
  '2026-11-24T0700-alerts-metrics': alertsMetrics,
  '2026-11-24T0800-snapshots': snapshots,
  '2026-11-24T0930-workspace-indexes': workspaceIndexes,
  '2026-11-24T1000-metrics-time-major': metricsTimeMajor,
  '2026-11-24T1100-health-fields': healthFields,
  '2026-11-24T1200-endpoint-tls-valid-to': endpointTlsValidTo,
  '2026-11-24T1300-vm-sort-search': vmSortSearch,
  '2026-11-24T1400-sync-run-owner': syncRunOwner,
  '2026-12-03T0100-relations-only': relationsOnly,
  '2026-12-04T0050-endpoint-about': endpointAbout,
  '2026-12-04T0100-rvtools-vm': rvtoolsVm,
  '2026-12-04T0200-rvtools-host': rvtoolsHost,
  '2026-12-04T0300-natural-sort': naturalSort,
  '2026-12-04T0400-dvswitch': dvswitch,
  '2026-12-04T0500-datastore-files': datastoreFiles,
  '2026-12-04T0600-row-hash': rowHash,
  '2026-12-04T0700-accounts': accounts,
  '2026-12-04T0800-live-vm-indexes': liveVmIndexes,
  '2026-12-04T0900-tagged-vms': taggedVms,
};

export const pgMigrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(PG_MIGRATIONS),
};
