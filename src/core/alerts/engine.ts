import type { Kysely } from 'kysely';
import type { AlertSeverity, EvaluationSummary } from '../../shared/alerts.js';
import { SEVERITY_RANK } from '../../shared/alerts.js';
import type { Database } from '../store/schema.js';
import { loadEndpointState } from './endpoint-state.js';
import { loadRuleConfigs, ruleApplies } from './rule-configs.js';
import type { Condition, EndpointState } from './rules.js';
import { RULES } from './rules.js';
import { alertsDb } from './tables.js';

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
): Promise<EvaluationResult> {
  const now = opts.now;
  const at = now.toISOString();
  const state = await loadEndpointState(db, endpointId, now, { forecast: true });
  const conditions = await conditionsFor(db, state, now);
  const foldSince = new Date(now.getTime() - (opts.foldWindowMs ?? 3_600_000)).toISOString();

  return db.transaction().execute(async (trx) => {
    const adb = alertsDb(trx);
    const open = await adb
      .selectFrom('alert')
      .selectAll()
      .where('endpoint_id', '=', endpointId)
      .where('state', '<>', 'cleared')
      .execute();
    const openByKey = new Map(open.map((a) => [a.alert_key ?? '', a]));
    const raisedIds: number[] = [];
    const changedIds: number[] = [];
    let raised = 0;
    let repeated = 0;
    const history = (
      alertId: number,
      action: string,
      comment: string | null = null,
    ): Promise<unknown> =>
      adb
        .insertInto('alert_history')
        .values({ alert_id: alertId, at, action, actor: null, comment })
        .execute();

    const seen = new Set<string>();
    const touched: number[] = [];
    for (const c of conditions) {
      const key = alertKey(c.rule, endpointId, c.entityType, c.entityId);
      if (seen.has(key)) continue;
      seen.add(key);
      const details = JSON.stringify(c.details ?? {});
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
        await adb
          .updateTable('alert')
          .set({
            last_seen: at,
            message: c.message,
            entity_name: c.entityName,
            severity: c.severity,
            details,
            ...(newOccurrence
              ? {
                  occurrence: c.occurrence ?? null,
                  count: existing.count + 1,
                  state: 'active',
                  acked_at: null,
                  acked_by: null,
                  ack_comment: null,
                }
              : {}),
          })
          .where('id', '=', existing.id)
          .execute();
        if (newOccurrence) {
          repeated++;
          raisedIds.push(existing.id);
          await history(existing.id, 'repeated');
        }
        if (escalated)
          await history(existing.id, 'escalated', `${existing.severity} → ${c.severity}`);
        if (newOccurrence || escalated || existing.severity !== c.severity)
          changedIds.push(existing.id);
        continue;
      }
      const flapped = await adb
        .selectFrom('alert')
        .select(['id', 'count'])
        .where('alert_key', '=', key)
        .where('state', '=', 'cleared')
        .where('cleared_at', '>=', foldSince)
        .orderBy('cleared_at', 'desc')
        .executeTakeFirst();
      if (flapped) {
        await adb
          .updateTable('alert')
          .set({
            state: 'active',
            severity: c.severity,
            message: c.message,
            entity_name: c.entityName,
            details,
            count: flapped.count + 1,
            last_seen: at,
            cleared_at: null,
            acked_at: null,
            acked_by: null,
            ack_comment: null,
            occurrence: c.occurrence ?? null,
          })
          .where('id', '=', flapped.id)
          .execute();
        await history(flapped.id, 'reopened');
        raisedIds.push(flapped.id);
        changedIds.push(flapped.id);
        raised++;
        continue;
      }
      const row = await adb
        .insertInto('alert')
        .values({
          rule: c.rule,
          severity: c.severity,
          endpoint_id: endpointId,
          entity_type: c.entityType,
          entity_id: c.entityId,
          entity_name: c.entityName,
          message: c.message,
          state: 'active',
          raised_at: at,
          last_seen: at,
          alert_key: key,
          occurrence: c.occurrence ?? null,
          details,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await history(row.id, 'raised');
      raisedIds.push(row.id);
      changedIds.push(row.id);
      raised++;
    }

    for (let i = 0; i < touched.length; i += 500) {
      await adb
        .updateTable('alert')
        .set({ last_seen: at })
        .where('id', 'in', touched.slice(i, i + 500))
        .execute();
    }

    const gone = open.filter((a) => !seen.has(a.alert_key ?? '')).map((a) => a.id);
    for (let i = 0; i < gone.length; i += 500) {
      const part = gone.slice(i, i + 500);
      await adb
        .updateTable('alert')
        .set({ state: 'cleared', cleared_at: at, snoozed_until: null })
        .where('id', 'in', part)
        .execute();
      await adb
        .insertInto('alert_history')
        .values(
          part.map((id) => ({ alert_id: id, at, action: 'cleared', actor: null, comment: null })),
        )
        .execute();
    }
    changedIds.push(...gone);
    const cleared = gone.length;
    return {
      raised,
      repeated,
      cleared,
      open: seen.size,
      raisedIds,
      changedIds,
    };
  });
}
