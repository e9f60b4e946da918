import type { Kysely } from 'kysely';
import { AppError } from '../../shared/errors.js';
import type { Filter, Scope } from '../../shared/query.js';
import { MAX_PAGE } from '../../shared/query.js';
import { queryInventory } from '../inventory/query.js';
import type { Database } from '../store/schema.js';
import type { InventorySource } from './source.js';
import { filterVms } from './source.js';

/**
 * Keeps the VMs that match `where` (the query engine's filters on kind `vms`, so the CLI's
 * `--where` means what it means for `infrascope query vms`) and are in the workspace `scope`,
 * with their disks, NICs and snapshots.
 */
export async function applyVmFilters(
  db: Kysely<Database>,
  source: InventorySource,
  where: readonly Filter[],
  scope?: Scope,
): Promise<InventorySource> {
  if (where.length === 0 && scope?.tag === undefined) return source;
  const keyOf = new Map(source.endpoints.map((e) => [e.name, e.key]));
  const keep = new Set<string>();
  for (let offset = 0; ; offset += MAX_PAGE) {
    const page = await queryInventory(db, {
      kind: 'vms',
      where: [...where],
      ...(scope ? { scope } : {}),
      limit: MAX_PAGE,
      offset,
      sort: [{ field: 'id', desc: false }],
    });
    for (const row of page.rows) {
      const key = keyOf.get(String(row['endpoint']));
      if (key !== undefined) keep.add(`${key}\u0000${String(row['id'])}`);
    }
    if (page.rows.length < MAX_PAGE) break;
  }
  return filterVms(source, keep);
}

/** Only the entities of one endpoint (by name), for sources that cannot filter themselves. */
export function filterEndpoint(source: InventorySource, name: string): InventorySource {
  const ep = source.endpoints.find((e) => e.name.toLowerCase() === name.toLowerCase());
  if (!ep) throw new AppError('NOT_FOUND', `No endpoint named "${name}" in this snapshot`);
  const counts = new Map<string, number>();
  return {
    ...source,
    endpoints: [ep],
    fieldsOf: (t) => source.fieldsOf(t),
    count(type) {
      let n = counts.get(type);
      if (n === undefined) {
        n = 0;
        for (const page of source.pages(type)) for (const r of page) if (r.ep === ep) n++;
        counts.set(type, n);
      }
      return n;
    },
    *pages(type) {
      for (const page of source.pages(type)) {
        const kept = page.filter((r) => r.ep === ep);
        if (kept.length > 0) yield kept;
      }
    },
    close: () => source.close(),
  };
}

/**
 * Keeps only the named VMs (by endpoint name and native id, as a table's selected rows know
 * them), with their disks, NICs and snapshots. Names of endpoints the source does not hold, and
 * ids it has no VM for, match nothing.
 */
export function filterVmIds(
  source: InventorySource,
  ids: readonly { readonly endpoint: string; readonly id: string }[],
): InventorySource {
  const keyOf = new Map(source.endpoints.map((e) => [e.name, e.key]));
  const keep = new Set<string>();
  for (const { endpoint, id } of ids) {
    const key = keyOf.get(endpoint);
    if (key !== undefined) keep.add(`${key}\u0000${id}`);
  }
  return filterVms(source, keep);
}
