import type { Kysely, RawBuilder, Transaction } from 'kysely';
import type { PartitionedTable } from '../metrics/partitions.js';
import { SPAN_OF, ensurePartitions } from '../metrics/partitions.js';
import { sql } from 'kysely';
import { AppError, isAppError } from '../../shared/errors.js';
import type { TeamKeyVault } from '../vault/team-key-vault.js';
import { STORE_KEY_CHECK_SETTING, TEAM_KEY_VAULT_ID } from '../vault/team-key-vault.js';
import { credentialAad } from '../vault/credentials.js';
import type { VaultBackend } from '../vault/vault.js';
import type { CopyTable } from './copy-plan.js';
import { migrationsOf, planCopy } from './copy-plan.js';
import type { Database } from './schema.js';
import { readSetting, writeSetting } from './setting.js';
import type { PostgresStore, SqliteStore } from './sqlite.js';

/*
 * `store copy`: a local SQLite store into a team store on PostgreSQL, table by table in
 * foreign-key order, in batches of multi-row INSERTs that keep every id. Each batch commits with
 * the table's resume point (the last key copied) in the target's setting table, so Ctrl-C or a
 * lost connection leaves a target that the same command continues. Endpoint secrets are opened
 * with the local vault and sealed again with the team store key; those the local vault cannot
 * open (sealed by the desktop's keychain, say) are left out and their endpoints marked for a new
 * password.
 */

/** The target's record of a copy in progress: where it came from and how far each table got. */
export const COPY_STATE_SETTING = 'store.copy';
/** Settings that belong to the target store itself, never copied over or counted as content. */
const OWN_SETTINGS = [STORE_KEY_CHECK_SETTING, COPY_STATE_SETTING];

/** Bind parameters per INSERT, well under PostgreSQL's 65,535. */
const MAX_PARAMS = 30_000;
const MAX_BATCH_ROWS = 1_000;

export interface CopyProgress {
  readonly phase: 'check' | 'copy' | 'sequences' | 'vacuum' | 'done';
  readonly table?: string;
  /** Rows of `table` in the target so far, and in the source. */
  readonly done?: number;
  readonly total?: number;
  /** 1-based position of `table` among `tables`. */
  readonly index?: number;
  readonly tables?: number;
}

export interface CopyOptions {
  readonly source: SqliteStore;
  readonly target: PostgresStore;
  /** Opens the source's secrets; null when the source has no vault key on this host. */
  readonly sourceVault: VaultBackend | null;
  readonly targetVault: TeamKeyVault;
  /** Names the source (its file): a re-run continues only a copy from the same source. */
  readonly sourceId: string;
  /** Empty a target that holds data (or another source's unfinished copy) first. */
  readonly force?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: CopyProgress) => void;
  /** Rows per INSERT at most (tests use small batches to stop in the middle of a table). */
  readonly batchRows?: number;
}

export interface CopyResult {
  readonly tables: readonly { readonly name: string; readonly rows: number }[];
  /** Source tables without a counterpart in the target (derived: SQLite's full-text index). */
  readonly skipped: readonly string[];
  /** True when this run continued an interrupted copy. */
  readonly resumed: boolean;
  /** Endpoints whose password the local vault could not open: they need it again. */
  readonly reenter: readonly string[];
  /** Webhooks whose URL the local vault could not open: they need to be added again. */
  readonly webhooksToReadd: readonly string[];
}

interface CopyState {
  readonly source: string;
  finished: boolean;
  readonly tables: Record<string, unknown[] | 'done'>;
}

type Row = Record<string, unknown>;

function cancelled(): AppError {
  return new AppError(
    'CANCELLED',
    'The copy was interrupted; what was copied is kept. Run the same command again to continue where it stopped.',
  );
}

async function readState(db: Kysely<Database>): Promise<CopyState | null> {
  const value = await readSetting(db, COPY_STATE_SETTING);
  return value === null ? null : (JSON.parse(value) as CopyState);
}

function writeState(db: Kysely<Database>, state: CopyState): Promise<void> {
  return writeSetting(db, COPY_STATE_SETTING, JSON.stringify(state));
}

/** The target tables holding anything (the target's own settings aside). */
async function tablesWithRows(
  db: Kysely<Database>,
  tables: readonly CopyTable[],
): Promise<string[]> {
  const out: string[] = [];
  for (const t of tables) {
    const own = t.name === 'setting' ? sql` WHERE key NOT IN (${sql.join(OWN_SETTINGS)})` : sql``;
    const r = await sql<{
      n: boolean;
    }>`SELECT EXISTS (SELECT 1 FROM ${sql.table(t.name)}${own}) AS n`.execute(db);
    if (r.rows[0]?.n) out.push(t.name);
  }
  return out;
}

const keyList = (t: CopyTable): string => t.key.map((k) => `"${k}"`).join(', ');
const keyParams = (t: CopyTable): string => t.key.map(() => '?').join(', ');

/** Source rows after `after` (a key) in key order, each with its key as `__k0`, `__k1`... */
function readBatch(
  source: SqliteStore,
  t: CopyTable,
  after: unknown[] | null,
  limit: number,
): Row[] {
  const keys = t.key.map((k, i) => `"${k}" AS __k${i}`).join(', ');
  const cols = t.columns.map((c) => `"${c}"`).join(', ');
  const where = after ? `WHERE (${keyList(t)}) > (${keyParams(t)})` : '';
  return source.sqlite
    .prepare(`SELECT ${keys}, ${cols} FROM "${t.name}" ${where} ORDER BY ${keyList(t)} LIMIT ?`)
    .all(...(after ?? []), limit) as Row[];
}

function countRows(source: SqliteStore, t: CopyTable, upTo: unknown[] | null): number {
  const where = upTo ? `WHERE (${keyList(t)}) <= (${keyParams(t)})` : '';
  const r = source.sqlite
    .prepare(`SELECT count(*) AS n FROM "${t.name}" ${where}`)
    .get(...(upTo ?? [])) as { n: number };
  return r.n;
}

function insertRows(t: CopyTable, rows: readonly Row[]): RawBuilder<unknown> {
  const cols = sql.join(t.columns.map((c) => sql.ref(c)));
  const values = sql.join(rows.map((r) => sql`(${sql.join(t.columns.map((c) => r[c]))})`));
  return sql`INSERT INTO ${sql.table(t.name)} (${cols}) VALUES ${values}`;
}

/**
 * Moves each secret from the local vault to the team key. What the local vault cannot open
 * stays out (credentials: the endpoint is marked `reenter`) or as it was (webhooks).
 */
function resealer(
  opts: CopyOptions,
  result: { reenter: number[]; webhooks: string[] },
): (table: string, rows: Row[]) => Row[] {
  const open = (backend: unknown, sealed: unknown, aad?: string): string | null => {
    if (!opts.sourceVault || backend !== opts.sourceVault.id || !Buffer.isBuffer(sealed))
      return null;
    try {
      return opts.sourceVault.open(sealed, aad);
    } catch (e) {
      if (isAppError(e)) return null;
      throw e;
    }
  };
  return (table, rows) => {
    if (table === 'setting') return rows.filter((r) => !OWN_SETTINGS.includes(String(r['key'])));
    if (table === 'credential')
      return rows.flatMap((r) => {
        const aad = credentialAad(Number(r['endpoint_id']));
        const secret = open(r['backend'], r['ciphertext'], aad);
        if (secret === null) {
          result.reenter.push(Number(r['endpoint_id']));
          return [];
        }
        return [
          { ...r, backend: TEAM_KEY_VAULT_ID, ciphertext: opts.targetVault.seal(secret, aad) },
        ];
      });
    if (table === 'webhook')
      return rows.map((r) => {
        const url = open(r['url_backend'], r['url_sealed']);
        if (url === null) {
          result.webhooks.push(String(r['name']));
          return r;
        }
        return { ...r, url_backend: TEAM_KEY_VAULT_ID, url_sealed: opts.targetVault.seal(url) };
      });
    return rows;
  };
}

/** Decides between a fresh copy, a resumed one, and a refusal; empties the target on --force. */
async function startState(
  opts: CopyOptions,
  tables: readonly CopyTable[],
): Promise<{ state: CopyState; resumed: boolean }> {
  const db = opts.target.db;
  const previous = await readState(db);
  if (previous && !previous.finished && previous.source === opts.sourceId && !opts.force)
    return { state: previous, resumed: true };
  const filled = await tablesWithRows(db, tables);
  if ((filled.length > 0 || previous) && !opts.force)
    throw new AppError(
      'STORE_NOT_EMPTY',
      previous && !previous.finished
        ? `The target store ${opts.target.location} holds an unfinished copy from ${previous.source}. Continue it with --from naming that store, or replace it with --force.`
        : `The target store ${opts.target.location} is not empty (${filled.join(', ') || 'an earlier copy'}): a copy goes into an empty store. Add --force to replace everything in it. Nothing was changed.`,
      { tables: filled },
    );
  if (opts.force) {
    await sql`TRUNCATE ${sql.join(tables.map((t) => sql.table(t.name)))} RESTART IDENTITY CASCADE`.execute(
      db,
    );
  }
  const state: CopyState = { source: opts.sourceId, finished: false, tables: {} };
  return { state, resumed: false };
}

async function copyTable(
  opts: CopyOptions,
  t: CopyTable,
  state: CopyState,
  position: { index: number; tables: number },
  reseal: (table: string, rows: Row[]) => Row[],
  result: { reenter: number[] },
): Promise<number> {
  const total = countRows(opts.source, t, null);
  const mark = state.tables[t.name];
  if (mark === 'done') return total;
  let after = mark ?? null;
  let done = after ? countRows(opts.source, t, after) : 0;
  const limit = Math.max(
    1,
    Math.min(opts.batchRows ?? MAX_BATCH_ROWS, Math.floor(MAX_PARAMS / t.columns.length)),
  );
  const report = (): void =>
    opts.onProgress?.({ phase: 'copy', table: t.name, done, total, ...position });
  report();
  for (;;) {
    if (opts.signal?.aborted) throw cancelled();
    const batch = readBatch(opts.source, t, after, limit);
    if (batch.length === 0) break;
    const last = batch[batch.length - 1]!;
    after = t.key.map((_, i) => last[`__k${i}`]);
    const reenterBefore = result.reenter.length;
    const rows = reseal(t.name, batch);
    state.tables[t.name] = after;
    // Metrics tables are partitioned by time on PostgreSQL, with no catch-all partition: the
    // batch's times get theirs first (in a transaction of its own, as the metrics drain does).
    if (isPartitioned(t.name)) {
      await ensurePartitions(
        opts.target.db,
        t.name,
        rows.map((r) => Number(r['t'])),
      );
    }
    await opts.target.db.transaction().execute(async (trx: Transaction<Database>) => {
      if (rows.length > 0) await insertRows(t, rows).execute(trx);
      const reenter = result.reenter.slice(reenterBefore);
      if (reenter.length > 0)
        await trx
          .updateTable('endpoint')
          .set({ credential_state: 'reenter' })
          .where('id', 'in', reenter)
          .execute();
      await writeState(trx, state);
    });
    done += batch.length;
    report();
  }
  state.tables[t.name] = 'done';
  await writeState(opts.target.db, state);
  return total;
}

/** Moves each identity sequence past the ids copied in, so new rows never collide with them. */
async function resetSequences(db: Kysely<Database>, tables: readonly CopyTable[]): Promise<void> {
  for (const t of tables) {
    if (!t.identity) continue;
    const col = sql.ref(t.identity);
    await sql`SELECT setval(pg_get_serial_sequence(${t.name}, ${t.identity}), COALESCE((SELECT max(${col}) FROM ${sql.table(t.name)}), 0) + 1, false)`.execute(
      db,
    );
  }
}

/**
 * Copies the SQLite store `opts.source` into the PostgreSQL store `opts.target` (both opened,
 * hence migrated, by the caller): refuses a target that holds data unless `force`, continues an
 * interrupted copy from the same source, reports progress per table with real row counts, and
 * stops between batches when `signal` aborts (CANCELLED; a re-run continues).
 */
export async function copyStore(opts: CopyOptions): Promise<CopyResult> {
  opts.onProgress?.({ phase: 'check' });
  const [from, to] = await Promise.all([
    migrationsOf(opts.source.db),
    migrationsOf(opts.target.db),
  ]);
  if (from.join() !== to.join())
    throw new AppError(
      'MIGRATION_FAILED',
      `The two stores are at different migration versions (source ${from.at(-1) ?? 'none'}, target ${to.at(-1) ?? 'none'}): open both with this app first. Nothing was copied.`,
    );
  const plan = await planCopy(opts.source.sqlite, opts.target.db);
  const { state, resumed } = await startState(opts, plan.tables);
  // The team key: present, and the target's own (the first copy claims an empty store for it).
  await opts.targetVault.prepare(opts.target.db);
  await writeState(opts.target.db, state);
  const found = { reenter: [] as number[], webhooks: [] as string[] };
  const reseal = resealer(opts, found);
  const tables: { name: string; rows: number }[] = [];
  for (const [i, t] of plan.tables.entries()) {
    const rows = await copyTable(
      opts,
      t,
      state,
      { index: i + 1, tables: plan.tables.length },
      reseal,
      found,
    );
    tables.push({ name: t.name, rows });
  }
  opts.onProgress?.({ phase: 'sequences' });
  await resetSequences(opts.target.db, plan.tables);
  // A bulk load leaves PostgreSQL without statistics, visibility map or hint bits until autovacuum
  // gets there: the first pages a team opens would plan blind and read every row's visibility from
  // the heap (a VMs page over 100,000 copied VMs took 850 ms instead of 260).
  const loaded = tables.filter((t) => t.rows > 0).map((t) => `"${t.name}"`);
  if (loaded.length > 0) {
    opts.onProgress?.({ phase: 'vacuum' });
    await sql.raw(`VACUUM (ANALYZE) ${loaded.join(', ')}`).execute(opts.target.db);
  }
  state.finished = true;
  await writeState(opts.target.db, state);
  // Endpoints marked in a run before this one count too: the target says which need a password.
  const reenter = await opts.target.db
    .selectFrom('endpoint')
    .select('name')
    .where('credential_state', '=', 'reenter')
    .orderBy('name')
    .execute();
  opts.onProgress?.({ phase: 'done' });
  return {
    tables,
    skipped: plan.skipped,
    resumed,
    reenter: reenter.map((r) => r.name),
    webhooksToReadd: found.webhooks,
  };
}

function isPartitioned(table: string): table is PartitionedTable {
  return Object.prototype.hasOwnProperty.call(SPAN_OF, table);
}
