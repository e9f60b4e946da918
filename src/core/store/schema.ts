import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type {
  ENTITY_FIELDS,
  EntityFields,
  EntityType,
  FieldSpec,
  RelationFields,
} from '../../shared/entities.js';
import { snake } from './columns.js';

/** camelCase → snake_case at the type level, so entity tables are typed from the shared model. */
export type Snake<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${Snake<T>}`
  : S;

type ColumnFor<F> = F extends { kind: 'int' | 'real' | 'bool' } ? number | null : string | null;

export interface EntityCommonColumns {
  id: Generated<number>;
  endpoint_id: number;
  native_id: string;
  name: string;
  first_seen: string;
  last_seen: string;
  deleted_at: string | null;
}

/**
 * An entity table: a column per field, except the fields that list other entities
 * (`vm.datastoreIds`), which live only in the relation table.
 */
export type EntityTable<T extends EntityType> = EntityCommonColumns & {
  [K in Exclude<EntityFields<T>, RelationFields<T>> as Snake<K>]: ColumnFor<
    (typeof ENTITY_FIELDS)[T][K] extends FieldSpec ? (typeof ENTITY_FIELDS)[T][K] : never
  >;
};

export interface EndpointTable {
  id: Generated<number>;
  name: string;
  kind: string;
  host: string;
  port: number;
  username: string;
  tags: ColumnType<string, string | undefined, string>;
  poll_interval_s: ColumnType<number, number | undefined, number>;
  enabled: ColumnType<number, number | undefined, number>;
  tls_thumbprint: string | null;
  /** 1 while the endpoint waits to pin the certificate it sees on first contact. */
  tls_trust_on_first_use: ColumnType<number, number | undefined, number>;
  /** Expiry (ISO) of the certificate seen at the last connectivity test; NULL until one ran. */
  tls_valid_to: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON `EndpointAbout` from the last full sync (vSphere); NULL before one or for Hyper-V. */
  about: ColumnType<string | null, string | null | undefined, string | null>;
  use_ssl: ColumnType<number, number | undefined, number>;
  /** 1: full syncs list the datastores' files (RVTools' vFileInfo); slow on large estates. */
  file_info: ColumnType<number, number | undefined, number>;
  notes: ColumnType<string, string | undefined, string>;
  credential_state: ColumnType<string, string | undefined, string>;
  created_at: string;
  updated_at: string;
}

export interface CredentialTable {
  endpoint_id: number;
  backend: string;
  ciphertext: Buffer;
  sealed_at: string;
}

export interface SyncRunTable {
  id: Generated<number>;
  endpoint_id: number;
  mode: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  seen: ColumnType<number, number | undefined, number>;
  created: ColumnType<number, number | undefined, number>;
  updated: ColumnType<number, number | undefined, number>;
  deleted: ColumnType<number, number | undefined, number>;
  error_code: string | null;
  error_message: string | null;
  /** `host:pid:nonce[:start]` of the process running it (null before migration sync-run-owner). */
  owner: ColumnType<string | null, string | null | undefined, string | null>;
  heartbeat_at: ColumnType<string | null, string | null | undefined, string | null>;
}

/** One reference of a relation field: `kind` is `type.field` (`vm.datastoreIds`). */
export interface RelationTable {
  endpoint_id: number;
  kind: string;
  from_id: string;
  to_id: string;
}

export interface ChangeLogTable {
  id: Generated<number>;
  at: string;
  sync_run_id: number | null;
  endpoint_id: number;
  entity_type: string;
  entity_id: string;
  entity_name: string;
  kind: 'created' | 'updated' | 'deleted';
  field: string | null;
  old_value: string | null;
  new_value: string | null;
  user: string | null;
}

export interface EventTable {
  id: Generated<number>;
  endpoint_id: number;
  event_key: string;
  at: string;
  event_type: string;
  user: string | null;
  message: string;
  entity_type: string | null;
  entity_id: string | null;
}

export interface SampleTable {
  endpoint_id: number;
  entity_type: string;
  entity_id: string;
  at: string;
  cpu_mhz: number | null;
  memory_bytes: number | null;
  storage_used_bytes: number | null;
  storage_capacity_bytes: number | null;
}

export interface AlertTable {
  id: Generated<number>;
  rule: string;
  severity: string;
  endpoint_id: number | null;
  entity_type: string | null;
  entity_id: string | null;
  entity_name: string | null;
  message: string;
  state: string;
  raised_at: string;
  cleared_at: string | null;
  acked_at: string | null;
  acked_by: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: string;
}

export interface SettingTable {
  key: string;
  value: string;
}

/** A person who signs in to the team server (issue 17); see src/core/accounts. */
export interface AccountTable {
  id: Generated<number>;
  name: string;
  role: string;
  password_hash: string;
  disabled: Generated<number>;
  created_at: string;
  failed_logins: Generated<number>;
  locked_until: string | null;
  sessions_valid_after: string | null;
}

export interface AccountSessionTable {
  /** SHA-256 of the cookie value: the value itself is never stored. */
  id_hash: string;
  account_id: number;
  created_at: string;
  last_seen_at: string;
  source: string;
}

export interface ApiTokenTable {
  id: Generated<number>;
  name: string;
  role: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** Entity tables are named after the snake_case entity type. */
export type EntityTables = { [T in EntityType as Snake<T>]: EntityTable<T> };

export interface Database extends EntityTables {
  endpoint: EndpointTable;
  credential: CredentialTable;
  sync_run: SyncRunTable;
  relation: RelationTable;
  change_log: ChangeLogTable;
  event: EventTable;
  sample: SampleTable;
  alert: AlertTable;
  audit_log: AuditLogTable;
  setting: SettingTable;
  account: AccountTable;
  account_session: AccountSessionTable;
  api_token: ApiTokenTable;
}

export type EndpointRow = Selectable<EndpointTable>;
export type NewEndpointRow = Insertable<EndpointTable>;
export type EndpointUpdate = Updateable<EndpointTable>;
export type SyncRunRow = Selectable<SyncRunTable>;
export type ChangeLogRow = Selectable<ChangeLogTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type AlertRow = Selectable<AlertTable>;

export function tableOf(type: EntityType): Snake<EntityType> {
  return snake(type);
}

export function columnOf(field: string): string {
  return snake(field);
}
