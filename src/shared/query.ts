import { z } from 'zod';
import { request, returns } from './channel.js';

/** The inventory kinds a table, the CLI (`infrascope query KIND`) and exports can ask for. */
export const QUERY_KINDS = [
  'vms',
  'hosts',
  'clusters',
  'datacenters',
  'datastores',
  'networks',
  'resource-pools',
  'folders',
  'snapshots',
  'disks',
  'nics',
  'partitions',
  'host-nics',
  'hbas',
  'vmkernels',
  'multipath-luns',
  'licenses',
  'standard-switches',
  'port-groups',
  'dv-switches',
  'datastore-clusters',
  'datastore-files',
  'changes',
  'events',
  'sync-runs',
  'alerts',
  'audit',
  'endpoints',
] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];

export type QueryFieldType = 'text' | 'number' | 'bool' | 'time' | 'list' | 'enum';

export interface QueryFieldInfo {
  readonly name: string;
  readonly type: QueryFieldType;
  /** Human label for a column header. */
  readonly label: string;
  /** Values for an enum pick list. */
  readonly values?: readonly string[];
  /** Unit hint for formatting: bytes, mb, mhz, percent, seconds. */
  readonly unit?: 'bytes' | 'mb' | 'mhz' | 'percent' | 'seconds';
}

export const FILTER_OPS = ['=', '!=', '~', '!~', '>', '>=', '<', '<='] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export const filterSchema = z.object({
  field: z.string().min(1).max(64),
  op: z.enum(FILTER_OPS),
  value: z.string().max(1000),
});
export type Filter = z.infer<typeof filterSchema>;

export const sortSchema = z.object({
  field: z.string().min(1).max(64),
  desc: z.boolean().default(false),
});
export type Sort = z.infer<typeof sortSchema>;

export const MAX_PAGE = 10_000;

/**
 * The workspace's scope: one endpoint (by name) and/or one tag. A tag is in scope when the
 * entity carries it (a vSphere tag) or its endpoint does (an endpoint label). Kinds without an
 * endpoint or tags ignore the part that does not apply to them.
 */
export const scopeSchema = z
  .object({
    endpoint: z.string().min(1).max(200).optional(),
    tag: z.string().min(1).max(200).optional(),
  })
  .strict();
export type Scope = z.infer<typeof scopeSchema>;

export const inventoryQuerySchema = z.object({
  kind: z.enum(QUERY_KINDS),
  scope: scopeSchema.optional(),
  where: z.array(filterSchema).max(50).default([]),
  search: z.string().max(200).optional(),
  sort: z.array(sortSchema).max(5).default([]),
  limit: z.number().int().min(0).max(MAX_PAGE).default(100),
  offset: z.number().int().min(0).default(0),
  includeDeleted: z.boolean().default(false),
  /** Only these fields in each row (all when absent); `total` and `fields` are unchanged. */
  fields: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
});
export type InventoryQuery = z.input<typeof inventoryQuerySchema>;
export type InventoryQueryParsed = z.output<typeof inventoryQuerySchema>;

export type QueryCell = string | number | boolean | null | readonly string[];
export type QueryRow = Readonly<Record<string, QueryCell>>;

export interface QueryResult {
  readonly kind: QueryKind;
  readonly rows: readonly QueryRow[];
  /** Rows matching the filters, across all pages. */
  readonly total: number;
  readonly fields: readonly QueryFieldInfo[];
}

/**
 * Parses a CLI-style filter `FIELD=VALUE`, `FIELD~TEXT`, `FIELD>=N`...
 * Throws a plain Error with a readable message on malformed input (callers wrap it).
 */
export function parseFilter(text: string): Filter {
  const m = /^([A-Za-z][A-Za-z0-9]*)\s*(!=|!~|>=|<=|=|~|>|<)(.*)$/s.exec(text);
  if (!m) {
    throw new Error(`Cannot read filter "${text}": write FIELD=VALUE (or !=, ~, !~, >, >=, <, <=)`);
  }
  return { field: m[1]!, op: m[2] as FilterOp, value: m[3]! };
}

export function parseSort(text: string): Sort {
  const m = /^([A-Za-z][A-Za-z0-9]*)(?::(asc|desc))?$/.exec(text);
  if (!m) throw new Error(`Cannot read sort "${text}": write FIELD or FIELD:desc`);
  return { field: m[1]!, desc: m[2] === 'desc' };
}

const noInput = z.object({}).strict();

/** The inventory tables' slice of the contract. */
export const inventoryChannels = {
  'inventory:query': request(inventoryQuerySchema.strict(), returns<QueryResult>()),
  'inventory:fields': request(
    z.object({ kind: z.enum(QUERY_KINDS) }).strict(),
    returns<readonly QueryFieldInfo[]>(),
  ),
  /** Every tag in the store (vSphere tags of live entities and endpoint labels), sorted. */
  'inventory:tags': request(noInput, returns<readonly string[]>()),
};
