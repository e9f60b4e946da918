import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { CapacityReport } from '../../shared/alerts.js';
import type { Scope } from '../../shared/query.js';
import { scopeOnRows } from '../inventory/scope-sql.js';
import type { Database } from '../store/schema.js';
import { engineOf } from '../store/sqlite.js';

/**
 * Narrows a capacity report to the workspace scope, with the query engine's meaning: an endpoint
 * by name; a tag carried by the entity (datastores, VMs) or by its endpoint (clusters carry none).
 */
export async function scopeCapacityReport(
  db: Kysely<Database>,
  report: CapacityReport,
  scope: Scope | undefined,
): Promise<CapacityReport> {
  if (!scope || (scope.endpoint === undefined && scope.tag === undefined)) return report;
  const inScope = async (table: string, tagged: boolean): Promise<ReadonlySet<string>> => {
    const conds = [
      sql`t.deleted_at IS NULL`,
      ...scopeOnRows(scope, tagged ? 't.tags' : null, engineOf(db)),
    ];
    const rows = await sql<{
      endpoint_id: number;
      native_id: string;
    }>`SELECT t.endpoint_id, t.native_id FROM ${sql.raw(table)} t JOIN endpoint e ON e.id = t.endpoint_id WHERE ${sql.join(conds, sql` AND `)}`.execute(
      db,
    );
    return new Set(rows.rows.map((r) => `${r.endpoint_id}/${r.native_id}`));
  };
  const [datastores, clusters, vms] = await Promise.all([
    inScope('datastore', true),
    inScope('cluster', false),
    inScope('vm', true),
  ]);
  const endpointIds =
    scope.endpoint === undefined
      ? null
      : new Set(
          (
            await sql<{
              id: number;
            }>`SELECT id FROM endpoint WHERE lower(name) = ${scope.endpoint.toLowerCase()}`.execute(
              db,
            )
          ).rows.map((r) => r.id),
        );
  const has = (set: ReadonlySet<string>, endpointId: number, id: string): boolean =>
    set.has(`${endpointId}/${id}`);
  // A snapshot whose VM is gone can match an endpoint scope, never a tag.
  const snapshots = report.snapshots.filter((s) =>
    s.vmId !== null && !s.orphaned
      ? has(vms, s.endpointId, s.vmId)
      : scope.tag === undefined && (endpointIds?.has(s.endpointId) ?? true),
  );
  return {
    ...report,
    datastores: report.datastores.filter((d) => has(datastores, d.endpointId, d.datastoreId)),
    clusters: report.clusters.filter((c) => has(clusters, c.endpointId, c.clusterId)),
    idleVms: report.idleVms.filter((v) => has(vms, v.endpointId, v.vmId)),
    oversizedVms: report.oversizedVms.filter((v) => has(vms, v.endpointId, v.vmId)),
    snapshots,
    reclaimableSnapshotBytes: snapshots.reduce((sum, s) => sum + (s.sizeBytes ?? 0), 0),
  };
}
