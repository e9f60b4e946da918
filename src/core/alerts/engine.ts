import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { AlertSeverity, EvaluationSummary } from '../../shared/alerts.js';
import { SEVERITY_RANK } from '../../shared/alerts.js';
import type BetterSqlite3 from 'better-sqlite3';
import { prepared } from '../store/prepared.js';
import type { Database } from '../store/schema.js';
import { connectionOf, engineOf } from '../store/sqlite.js';
import { postgresAlertIo } from './alerts-pg.js';
import { loadEndpointState } from './endpoint-state.js';
import { loadRuleConfigs, ruleApplies } from './rule-configs.js';
import type { Condition, EndpointState } from './rules.js';
import { RULES } from './rules.js';
import { alertsDb } from './tables.js';

type Sqlite = BetterSqlite3.Database;

/*
 * Evaluation: the rules' conditions for one endpoint against its open alerts (open, repeat,
 * clear, reopen within the fold window).
 */

export interface EvaluateOptions {
  readonly now: Date;
  /** A condition that clears and comes back within this window reopens its alert (count + 1). */
  readonly foldWindowMs?: number;
}

export interface EvaluationResult extends EvaluationSummary {
  /** Alerts that opened, reopened or repeated: what notifications announce. */
  readonly raisedIds: readonly number[];
  /** Every alert whose row changed state, severity or count. */
  readonly changedIds: readonly number[];
}

/** Where an evaluation's time went (ms), for the log line benchmarks read. */
export interface EvaluationPhases {
  /** Reading the endpoint's inventory, history and forecasts. */
  readonly state: number;
  /** Running the rules. */
  readonly rules: number;
  /** Reconciling with the open alerts and writing, lock wait included. */
  readonly write: number;
}

export function alertKey(
  rule: string,
  endpointId: number,
  entityType: string,
  entityId: string,
): string {
  return `${rule}|${endpointId}|${entityType}|${entityId}`;
}

/** Runs every enabled rule that applies to the endpoint; suppressed objects are left out. */
export async function conditionsFor(
  db: Kysely<Database>,
  state: EndpointState,
  now: Date,
): Promise<Condition[]> {
  const configs = await loadRuleConfigs(db);
  const suppressed = new Set(
    (
      await alertsDb(db)
        .selectFrom('alert_suppression')
        .select(['rule', 'entity_type', 'entity_id'])
        .where('endpoint_id', '=', state.endpointId)
        .execute()
    ).map((s) => alertKey(s.rule, state.endpointId, s.entity_type, s.entity_id)),
  );
  const out: Condition[] = [];
  for (const rule of RULES) {
    const cfg = configs.get(rule.id);
    if (cfg && !cfg.enabled) continue;
    const params = { ...rule.defaults, ...(cfg?.params ?? {}) };
    for (const c of rule.evaluate(state, params, now)) {
      if (cfg && !ruleApplies(cfg, state.endpointId, state.tags, c.tags)) continue;
      if (suppressed.has(alertKey(c.rule, state.endpointId, c.entityType, c.entityId))) continue;
      out.push(c);
    }
  }
  return out;
}

export interface OpenAlert {
  readonly id: number;
  readonly alert_key: string | null;
  readonly severity: string;
  readonly message: string;
  readonly entity_name: string | null;
  readonly details: string;
  readonly occurrence: string | null;
  readonly count: number;
}

/** Rows per statement of the bulk updates (SQLite binds at most 32,766 values). */
const CHUNK = 500;

export const HISTORY_SQL =
  'INSERT INTO alert_history (alert_id, at, action, actor, comment) VALUES (?, ?, ?, NULL, ?)';
export const OPEN_SQL = `SELECT id, alert_key, severity, message, entity_name, details, occurrence, count
  FROM alert WHERE endpoint_id = ? AND state <> 'cleared'`;
export const RECENTLY_CLEARED_SQL = `SELECT id, alert_key, count FROM alert
  WHERE endpoint_id = ? AND state = 'cleared' AND cleared_at >= ? ORDER BY cleared_at, id`;
const TOUCH_SQL = `UPDATE alert SET last_seen = ?
  WHERE endpoint_id = ? AND state <> 'cleared' AND (last_seen IS NULL OR last_seen <> ?)`;
const REFRESH_SQL =
  'UPDATE alert SET last_seen = ?, message = ?, entity_name = ?, severity = ?, details = ? WHERE id = ?';
const REPEAT_SQL = `UPDATE alert SET last_seen = ?, message = ?, entity_name = ?, severity = ?, details = ?,
  occurrence = ?, count = ?, state = 'active', acked_at = NULL, acked_by = NULL, ack_comment = NULL
  WHERE id = ?`;
const REOPEN_SQL = `UPDATE alert SET state = 'active', severity = ?, message = ?, entity_name = ?, details = ?,
  count = ?, last_seen = ?, cleared_at = NULL, acked_at = NULL, acked_by = NULL, ack_comment = NULL,
  occurrence = ? WHERE id = ?`;
export const RAISE_SQL = `INSERT INTO alert (rule, severity, endpoint_id, entity_type, entity_id, entity_name,
  message, state, raised_at, last_seen, alert_key, occurrence, details)
  VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)`;

/**
 * The statements of one reconciliation. On SQLite each runs at once as a prepared statement; on
 * PostgreSQL they are queued and sent in order at the end of the transaction (alerts-pg.ts), the
 * ids of new alerts drawn from the table's sequence beforehand so that the pass stays synchronous.
 */
export interface AlertIo {
  readonly open: readonly OpenAlert[];
  /** Recently cleared alerts of the endpoint, oldest first. */
  readonly cleared: readonly { id: number; alert_key: string | null; count: number }[];
  run(sql: string, params: readonly (string | number | null)[]): void;
  /** Inserts a new alert (RAISE_SQL's parameters) and returns its id. */
  raise(params: readonly (string | number | null)[]): number;
  /** Runs `sql` (ending in `IN (` … `)` around the list) for `ids`, after `params`. */
  each(ids: readonly number[], sql: (list: string) => string, params: readonly string[]): void;
}

function sqliteAlertIo(sqlite: Sqlite, endpointId: number, foldSince: string): AlertIo {
  return {
    open: prepared(sqlite, OPEN_SQL).all(endpointId) as OpenAlert[],
    cleared: prepared(sqlite, RECENTLY_CLEARED_SQL).all(endpointId, foldSince) as {
      id: number;
      alert_key: string | null;
      count: number;
    }[],
    run: (sql, params) => void prepared(sqlite, sql).run(...params),
    raise: (params) => Number(prepared(sqlite, RAISE_SQL).run(...params).lastInsertRowid),
    each(ids, sql, params) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const part = ids.slice(i, i + CHUNK);
        prepared(sqlite, sql(part.map(() => '?').join(', '))).run(...params, ...part);
      }
    },
  };
}

/**
 * The reconciliation of one endpoint's conditions with its alerts, on the store's connection
 * inside the caller's transaction: prepared statements, one row each, and the fold window's
 * recently cleared alerts read once instead of a lookup per new condition.
 */
function reconcile(
  io: AlertIo,
  endpointId: number,
  conditions: readonly Condition[],
  at: string,
): EvaluationResult {
  const open = io.open;
  const openByKey = new Map(open.map((a) => [a.alert_key ?? '', a]));
  // The newest recently cleared alert of each key (rows come oldest first).
  const cleared = new Map<string, { id: number; count: number }>();
  for (const r of io.cleared) {
    if (r.alert_key !== null) cleared.set(r.alert_key, r);
  }
  const history = (alertId: number, action: string, comment: string | null = null): void => {
    io.run(HISTORY_SQL, [alertId, at, action, comment]);
  };
  const raisedIds: number[] = [];
  const changedIds: number[] = [];
  let raised = 0;
  let repeated = 0;
  const seen = new Set<string>();
  const touched: number[] = [];
  for (const c of conditions) {
    const key = alertKey(c.rule, endpointId, c.entityType, c.entityId);
    if (seen.has(key)) continue;
    seen.add(key);
    const details = JSON.stringify(c.details ?? {});
    const occurrence = c.occurrence ?? null;
    const existing = openByKey.get(key);
    if (existing) {
      const escalated =
        SEVERITY_RANK[c.severity] > SEVERITY_RANK[existing.severity as AlertSeverity];
      const newOccurrence = c.occurrence !== undefined && c.occurrence !== existing.occurrence;
      if (
        !newOccurrence &&
        existing.severity === c.severity &&
        existing.message === c.message &&
        existing.entity_name === c.entityName &&
        existing.details === details
      ) {
        // Unchanged: only last_seen moves, in one statement for all of them below.
        touched.push(existing.id);
        continue;
      }
      if (newOccurrence) {
        io.run(REPEAT_SQL, [
          at,
          c.message,
          c.entityName,
          c.severity,
          details,
          occurrence,
          existing.count + 1,
          existing.id,
        ]);
        repeated++;
        raisedIds.push(existing.id);
        history(existing.id, 'repeated');
      } else {
        io.run(REFRESH_SQL, [at, c.message, c.entityName, c.severity, details, existing.id]);
      }
      if (escalated) history(existing.id, 'escalated', `${existing.severity} → ${c.severity}`);
      if (newOccurrence || escalated || existing.severity !== c.severity)
        changedIds.push(existing.id);
      continue;
    }
    const flapped = cleared.get(key);
    if (flapped) {
      io.run(REOPEN_SQL, [
        c.severity,
        c.message,
        c.entityName,
        details,
        flapped.count + 1,
        at,
        occurrence,
        flapped.id,
      ]);
      // Reopened: no longer a candidate (a repeated key in the conditions was skipped above).
      cleared.delete(key);
      history(flapped.id, 'reopened');
      raisedIds.push(flapped.id);
      changedIds.push(flapped.id);
      raised++;
      continue;
    }
    const id = io.raise([
      c.rule,
      c.severity,
      endpointId,
      c.entityType,
      c.entityId,
      c.entityName,
      c.message,
      at,
      at,
      key,
      occurrence,
      details,
    ]);
    history(id, 'raised');
    raisedIds.push(id);
    changedIds.push(id);
    raised++;
  }

  const gone = open.filter((a) => !seen.has(a.alert_key ?? '')).map((a) => a.id);
  io.each(
    gone,
    (list) =>
      `UPDATE alert SET state = 'cleared', cleared_at = ?, snoozed_until = NULL WHERE id IN (${list})`,
    [at],
  );
  // Every alert still open was seen now: the unchanged ones (most of them, 22,000 after a sync
  // of 11,000 VMs) get last_seen in one statement instead of one per 500 ids.
  if (touched.length > 0) io.run(TOUCH_SQL, [at, endpointId, at]);
  for (const id of gone) history(id, 'cleared');
  changedIds.push(...gone);
  return {
    raised,
    repeated,
    cleared: gone.length,
    open: seen.size,
    raisedIds,
    changedIds,
  };
}

/** First key of the alert evaluation locks (PostgreSQL); the sync locks use another. */
export const ALERT_LOCK_NAMESPACE = 0x1f5c_0002;

/**
 * Evaluates the rules for one endpoint and reconciles its alerts in one transaction: new
 * conditions raise (or reopen a recently cleared alert of the same key, counting the flap),
 * persisting ones refresh `last_seen` (a new occurrence counts as a repeat and reactivates an
 * acknowledged alert), and open alerts whose condition is gone clear automatically.
 */
export async function evaluateEndpoint(
  db: Kysely<Database>,
  endpointId: number,
  opts: EvaluateOptions,
): Promise<EvaluationResult & { readonly phases: EvaluationPhases }> {
  const now = opts.now;
  const at = now.toISOString();
  const t0 = performance.now();
  const state = await loadEndpointState(db, endpointId, now, { forecast: true });
  const t1 = performance.now();
  const conditions = await conditionsFor(db, state, now);
  const t2 = performance.now();
  const foldSince = new Date(now.getTime() - (opts.foldWindowMs ?? 3_600_000)).toISOString();
  const result = await (engineOf(db) === 'postgres'
    ? db.transaction().execute(async (trx) => {
        // Every process with a scheduler evaluates after syncs and on its sweep: the endpoint's
        // evaluations queue behind this lock (freed at commit), so the second one reads the first
        // one's alerts as open instead of raising them again.
        await sql`SELECT pg_advisory_xact_lock(${ALERT_LOCK_NAMESPACE}, ${endpointId})`.execute(
          trx,
        );
        const io = await postgresAlertIo(trx, endpointId, foldSince, conditions.length);
        const r = reconcile(io, endpointId, conditions, at);
        await io.flush();
        return r;
      })
    : // The transaction holds the one connection: the statements below run inside it, in order.
      db.transaction().execute(() => {
        const io = sqliteAlertIo(connectionOf(db), endpointId, foldSince);
        return Promise.resolve(reconcile(io, endpointId, conditions, at));
      }));
  const ms = (a: number, b: number): number => Math.round(b - a);
  return {
    ...result,
    phases: { state: ms(t0, t1), rules: ms(t1, t2), write: ms(t2, performance.now()) },
  };
}
