import type { Kysely, RawBuilder } from 'kysely';
import { sql } from 'kysely';
import type { DetailKind, SearchHit, SearchRequest, SearchResult } from '../../shared/details.js';
import { searchRequestSchema } from '../../shared/details.js';
import { decodeStringList } from '../store/columns.js';
import type { Database } from '../store/schema.js';
import { engineOf } from '../store/sqlite.js';
import { escapeLike, scopeOnRows } from './scope-sql.js';

/*
 * The command palette's search across kinds: names first, then IPs, DNS names and UUIDs, a few
 * hits per kind, within the workspace scope.
 */

type Db = Kysely<Database>;

/** Lower is better: exact name, name prefix, other exact match, anything else. */
function rank(hit: SearchHit, text: string): number {
  const name = hit.name.toLowerCase();
  if (name === text) return 0;
  if (hit.matched && hit.matched.toLowerCase().endsWith(` ${text}`)) return 1;
  if (name.startsWith(text)) return 2;
  if (name.includes(text)) return 3;
  return 4;
}

/**
 * The command palette's search: names, IPs, DNS names and UUIDs across VMs, hosts, clusters,
 * datastores and networks, a few hits per kind. Each kind's query stops at its limit, so a
 * common word costs no more than a rare one.
 */
export async function searchInventory(db: Db, input: SearchRequest): Promise<SearchResult> {
  const started = performance.now();
  const { text, limit, scope } = searchRequestSchema.parse(input);
  const needle = text.trim().toLowerCase();
  const engine = engineOf(db);
  // SQLite's LIKE ignores ASCII case already; PostgreSQL's needs ILIKE.
  const LIKE = sql.raw(engine === 'postgres' ? 'ILIKE' : 'LIKE');
  // The workspace scope, as the tables mean it.
  const inScope = (alias: string, tagged: boolean): RawBuilder<unknown> => {
    const parts = scopeOnRows(scope, tagged ? `${alias}.tags` : null, engine);
    return parts.length > 0 ? sql` AND ${sql.join(parts, sql` AND `)}` : sql``;
  };
  if (needle === '') return { text, hits: [], tookMs: 0 };
  const like = `%${escapeLike(needle)}%`;
  const prefix = `${escapeLike(needle)}%`;
  const esc = sql`ESCAPE '\\'`;
  const hits: SearchHit[] = [];

  type VmHit = {
    endpoint_id: number;
    endpoint: string;
    native_id: string;
    name: string;
    ip_address: string | null;
    ip_addresses: string | null;
    guest_hostname: string | null;
    uuid: string | null;
    instance_uuid: string | null;
    power_state: string | null;
    guest_os: string | null;
  };
  const cols = sql`v.endpoint_id, e.name AS endpoint, v.native_id, v.name, v.ip_address, v.ip_addresses,
        v.guest_hostname, v.uuid, v.instance_uuid, v.power_state, v.guest_os`;
  // What people type is usually the start of a name, an IP, a DNS name or a UUID: four index
  // ranges (migration 0930). Only when none of them matches, one pass over the narrow vm_search
  // index finds the text anywhere. PostgreSQL's prefix indexes are on lower(column) (it has no
  // NOCASE), and its planner needs no INDEXED BY.
  const prefixRows: VmHit[] = [];
  const seenVm = new Set<string>();
  const prefixIndexes = [
    ['name', 'vm_name_nocase'],
    ['ip_address', 'vm_ip_nocase'],
    ['guest_hostname', 'vm_dns_nocase'],
    ['uuid', 'vm_uuid_nocase'],
  ] as const;
  for (const [col, index] of prefixIndexes) {
    const r =
      engine === 'postgres'
        ? await sql<VmHit>`SELECT ${cols} FROM vm v JOIN endpoint e ON e.id = v.endpoint_id
        WHERE lower(${sql.ref(`v.${col}`)}) LIKE ${prefix} ${esc} AND v.deleted_at IS NULL${inScope('v', true)} LIMIT ${limit}`.execute(
            db,
          )
        : await sql<VmHit>`SELECT ${cols} FROM vm v INDEXED BY ${sql.raw(index)} JOIN endpoint e ON e.id = v.endpoint_id
        WHERE ${sql.ref(`v.${col}`)} LIKE ${prefix} ${esc} AND v.deleted_at IS NULL${inScope('v', true)} LIMIT ${limit}`.execute(
            db,
          );
    for (const row of r.rows) {
      const key = `${row.endpoint_id}:${row.native_id}`;
      if (!seenVm.has(key)) {
        seenVm.add(key);
        prefixRows.push(row);
      }
    }
  }
  const vms =
    prefixRows.length > 0
      ? { rows: prefixRows }
      : await sql<VmHit>`SELECT ${cols}
      FROM vm v ${sql.raw(engine === 'postgres' ? '' : 'INDEXED BY vm_search')} JOIN endpoint e ON e.id = v.endpoint_id
      WHERE v.deleted_at IS NULL AND (
        v.name ${LIKE} ${like} ${esc} OR v.ip_address ${LIKE} ${like} ${esc}
        OR v.ip_addresses ${LIKE} ${like} ${esc} OR v.guest_hostname ${LIKE} ${like} ${esc}
        OR v.uuid ${LIKE} ${prefix} ${esc} OR v.instance_uuid ${LIKE} ${prefix} ${esc}
        OR v.native_id = ${needle})${inScope('v', true)}
      LIMIT ${limit * 4}`.execute(db);
  for (const v of vms.rows) {
    let matched: string | null = null;
    if (!v.name.toLowerCase().includes(needle)) {
      const ips = [v.ip_address, ...decodeStringList(v.ip_addresses)].filter(
        (x): x is string => !!x,
      );
      const ip = ips.find((x) => x.toLowerCase().includes(needle));
      if (ip) matched = `IP ${ip}`;
      else if (v.guest_hostname?.toLowerCase().includes(needle))
        matched = `DNS ${v.guest_hostname}`;
      else if (v.uuid?.toLowerCase().startsWith(needle)) matched = `UUID ${v.uuid}`;
      else if (v.instance_uuid?.toLowerCase().startsWith(needle))
        matched = `Instance UUID ${v.instance_uuid}`;
      else matched = `ID ${v.native_id}`;
    }
    hits.push({
      kind: 'vm',
      endpointId: v.endpoint_id,
      endpoint: v.endpoint,
      id: v.native_id,
      name: v.name,
      matched,
      detail: [v.power_state, v.guest_os].filter(Boolean).join(' · ') || null,
    });
  }

  const others: { kind: DetailKind; table: string; detail: string }[] = [
    { kind: 'host', table: 'host', detail: 't.connection_state' },
    { kind: 'cluster', table: 'cluster', detail: "CASE WHEN t.ha_enabled = 1 THEN 'HA' END" },
    { kind: 'datastore', table: 'datastore', detail: 't.type' },
    { kind: 'network', table: 'network', detail: 't.vlan_id' },
  ];
  for (const o of others) {
    const rows = await sql<{
      endpoint_id: number;
      endpoint: string;
      native_id: string;
      name: string;
      detail: string | null;
    }>`SELECT t.endpoint_id, e.name AS endpoint, t.native_id, t.name, ${sql.raw(o.detail)} AS detail
        FROM ${sql.table(o.table)} t JOIN endpoint e ON e.id = t.endpoint_id
        WHERE t.deleted_at IS NULL AND (t.name ${LIKE} ${like} ${esc} OR t.native_id = ${needle})${inScope('t', o.table !== 'cluster')}
        LIMIT ${limit}`.execute(db);
    for (const r of rows.rows) {
      hits.push({
        kind: o.kind,
        endpointId: r.endpoint_id,
        endpoint: r.endpoint,
        id: r.native_id,
        name: r.name,
        matched: r.name.toLowerCase().includes(needle) ? null : `ID ${r.native_id}`,
        detail: r.detail === null ? null : String(r.detail),
      });
    }
  }
  const order: Record<DetailKind, number> = {
    vm: 0,
    host: 1,
    cluster: 2,
    datastore: 3,
    network: 4,
  };
  hits.sort(
    (a, b) =>
      rank(a, needle) - rank(b, needle) ||
      order[a.kind] - order[b.kind] ||
      a.name.localeCompare(b.name),
  );
  // Keep at most `limit` VMs after ranking (more were fetched to rank the best ones first).
  let vmsKept = 0;
  const out = hits.filter((h) => h.kind !== 'vm' || ++vmsKept <= limit);
  return { text, hits: out, tookMs: Math.round(performance.now() - started) };
}
