import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { z } from 'zod';
import type {
  AlertDto,
  AlertSummary,
  AlertHistoryEntry,
  AlertRuleDto,
  AlertRuleId,
  AlertSeverity,
  AlertState,
  SuppressionDto,
} from '../../shared/alerts.js';
import type {
  alertListSchema,
  alertSuppressSchema,
  alertUpdateRuleSchema,
} from '../../shared/alerts.js';
import { SEVERITY_RANK } from '../../shared/alerts.js';
import { AppError } from '../../shared/errors.js';
import type { Database } from '../store/schema.js';
import { entityTagged } from '../inventory/scope-sql.js';
import { RULES_BY_ID } from './rules.js';
import { alertsDb } from './tables.js';

export interface RuleConfig {
  readonly enabled: boolean;
  readonly params: Readonly<Record<string, number>>;
  readonly endpointIds: readonly number[];
  readonly tags: readonly string[];
}

const configJson = {
  params: z.record(z.string(), z.number()).catch({}),
  ids: z.array(z.number()).catch([]),
  tags: z.array(z.string()).catch([]),
};

export async function loadRuleConfigs(db: Kysely<Database>): Promise<Map<string, RuleConfig>> {
  const rows = await alertsDb(db).selectFrom('alert_rule').selectAll().execute();
  return new Map(
    rows.map((r) => [
      r.rule,
      {
        enabled: r.enabled === 1,
        params: configJson.params.parse(JSON.parse(r.params)),
        endpointIds: configJson.ids.parse(JSON.parse(r.endpoint_ids)),
        tags: configJson.tags.parse(JSON.parse(r.tags)),
      },
    ]),
  );
}

/** A tag matches by its full text or by its name after a `Category/` or `Category:` prefix. */
function tagMatches(want: string, have: readonly string[]): boolean {
  const w = want.toLowerCase();
  return have.some((h) => {
    const l = h.toLowerCase();
    return l === w || l.endsWith(`/${w}`) || l.endsWith(`:${w}`);
  });
}

/**
 * Scope of a rule: with neither endpoints nor tags it applies everywhere; otherwise to the listed
 * endpoints, and to anything tagged (on the endpoint or on the object) with a listed tag.
 */
export function ruleApplies(
  cfg: RuleConfig,
  endpointId: number,
  endpointTags: readonly string[],
  objectTags: readonly string[],
): boolean {
  if (cfg.endpointIds.length === 0 && cfg.tags.length === 0) return true;
  if (cfg.endpointIds.includes(endpointId)) return true;
  return cfg.tags.some((t) => tagMatches(t, endpointTags) || tagMatches(t, objectTags));
}

function ruleDto(id: AlertRuleId, cfg: RuleConfig | undefined): AlertRuleDto {
  const def = RULES_BY_ID.get(id);
  if (!def) throw new AppError('NOT_FOUND', `No alert rule ${id}.`);
  return {
    rule: id,
    title: def.title,
    description: def.description,
    entityType: def.entityType,
    enabled: cfg?.enabled ?? true,
    params: { ...def.defaults, ...(cfg?.params ?? {}) },
    defaults: def.defaults,
    endpointIds: cfg?.endpointIds ?? [],
    tags: cfg?.tags ?? [],
  };
}

export async function listRules(db: Kysely<Database>): Promise<AlertRuleDto[]> {
  const configs = await loadRuleConfigs(db);
  return [...RULES_BY_ID.keys()].map((id) => ruleDto(id, configs.get(id)));
}

export async function updateRule(
  db: Kysely<Database>,
  input: z.output<typeof alertUpdateRuleSchema>,
  actor: string,
  now: Date,
): Promise<AlertRuleDto> {
  const def = RULES_BY_ID.get(input.rule);
  if (!def) throw new AppError('NOT_FOUND', `No alert rule ${input.rule}.`);
  for (const key of Object.keys(input.params ?? {})) {
    if (!(key in def.defaults)) {
      throw new AppError(
        'VALIDATION',
        `Rule ${input.rule} has no threshold "${key}"${Object.keys(def.defaults).length ? ` (it has ${Object.keys(def.defaults).join(', ')})` : ''}.`,
      );
    }
  }
  const current = (await loadRuleConfigs(db)).get(input.rule);
  const next: RuleConfig = {
    enabled: input.enabled ?? current?.enabled ?? true,
    params: { ...(current?.params ?? {}), ...(input.params ?? {}) },
    endpointIds: input.endpointIds ?? current?.endpointIds ?? [],
    tags: input.tags ?? current?.tags ?? [],
  };
  const row = {
    rule: input.rule,
    enabled: next.enabled ? 1 : 0,
    params: JSON.stringify(next.params),
    endpoint_ids: JSON.stringify(next.endpointIds),
    tags: JSON.stringify(next.tags),
    updated_at: now.toISOString(),
    updated_by: actor,
  };
  await alertsDb(db)
    .insertInto('alert_rule')
    .values(row)
    .onConflict((oc) => oc.column('rule').doUpdateSet(row))
    .execute();
  return ruleDto(input.rule, next);
}

const selectAlert = (db: Kysely<Database>) =>
  alertsDb(db)
    .selectFrom('alert as a')
    .leftJoin('endpoint as e', 'e.id', 'a.endpoint_id')
    .select([
      'a.id',
      'a.rule',
      'a.severity',
      'a.state',
      'a.endpoint_id',
      'e.name as endpoint',
      'a.entity_type',
      'a.entity_id',
      'a.entity_name',
      'a.message',
      'a.count',
      'a.raised_at',
      'a.last_seen',
      'a.cleared_at',
      'a.acked_at',
      'a.acked_by',
      'a.ack_comment',
      'a.snoozed_until',
      'a.details',
    ]);

type AlertRowOut = Awaited<ReturnType<ReturnType<typeof selectAlert>['executeTakeFirstOrThrow']>>;

function toDto(r: AlertRowOut): AlertDto {
  let details: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(r.details);
    if (v && typeof v === 'object' && !Array.isArray(v)) details = v as Record<string, unknown>;
  } catch {
    // Details are informative only; a bad value leaves them empty.
  }
  return {
    id: r.id,
    rule: r.rule,
    severity: r.severity as AlertSeverity,
    state: r.state as AlertState,
    endpointId: r.endpoint_id,
    endpoint: r.endpoint ?? null,
    entityType: r.entity_type,
    entityId: r.entity_id,
    entityName: r.entity_name,
    message: r.message,
    count: r.count,
    raisedAt: r.raised_at,
    lastSeen: r.last_seen ?? r.raised_at,
    clearedAt: r.cleared_at,
    ackedAt: r.acked_at,
    ackedBy: r.acked_by,
    ackComment: r.ack_comment,
    snoozedUntil: r.snoozed_until,
    details,
  };
}

export async function listAlerts(
  db: Kysely<Database>,
  f: z.output<typeof alertListSchema>,
  now: Date,
): Promise<AlertDto[]> {
  let q = selectAlert(db);
  if (f.state === 'open') q = q.where('a.state', '<>', 'cleared');
  else if (f.state !== 'all') q = q.where('a.state', '=', f.state);
  if (f.severity) q = q.where('a.severity', '=', f.severity);
  if (f.endpointId !== undefined) q = q.where('a.endpoint_id', '=', f.endpointId);
  if (f.rule) q = q.where('a.rule', '=', f.rule);
  if (f.entityType === 'vm' && f.entityId) {
    // A VM's alerts include its snapshots' (as its badge counts them).
    const vmId = f.entityId;
    q = q.where((eb) =>
      eb.or([
        eb.and([eb('a.entity_type', '=', 'vm'), eb('a.entity_id', '=', vmId)]),
        eb.and([
          eb('a.entity_type', '=', 'snapshot'),
          eb(
            'a.entity_id',
            'in',
            eb
              .selectFrom('snapshot as vs')
              .select('vs.native_id')
              .whereRef('vs.endpoint_id', '=', 'a.endpoint_id')
              .where('vs.vm_id', '=', vmId),
          ),
        ]),
      ]),
    );
  } else {
    if (f.entityType) q = q.where('a.entity_type', '=', f.entityType);
    if (f.entityId) q = q.where('a.entity_id', '=', f.entityId);
  }
  // The workspace scope, meaning what it means for the inventory tables.
  if (f.scope?.endpoint !== undefined) {
    q = q.where(sql<boolean>`lower(e.name) = ${f.scope.endpoint.toLowerCase()}`);
  }
  if (f.scope?.tag !== undefined) {
    q = q.where(
      sql<boolean>`${entityTagged('a.endpoint_id', 'a.entity_type', 'a.entity_id', f.scope.tag)}`,
    );
  }
  if (!f.includeSnoozed && f.state !== 'cleared') {
    const at = now.toISOString();
    q = q.where((eb) =>
      eb.or([eb('a.snoozed_until', 'is', null), eb('a.snoozed_until', '<=', at)]),
    );
  }
  const rows = await q
    .orderBy((eb) =>
      eb
        .case()
        .when('a.state', '=', 'active')
        .then(0)
        .when('a.state', '=', 'acknowledged')
        .then(1)
        .else(2)
        .end(),
    )
    .orderBy((eb) =>
      eb
        .case()
        .when('a.severity', '=', 'critical')
        .then(0)
        .when('a.severity', '=', 'warning')
        .then(1)
        .else(2)
        .end(),
    )
    .orderBy('a.raised_at', 'desc')
    .limit(f.limit)
    .offset(f.offset)
    .execute();
  return rows.map(toDto);
}

export async function getAlerts(db: Kysely<Database>, ids: readonly number[]): Promise<AlertDto[]> {
  if (ids.length === 0) return [];
  const out: AlertDto[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await selectAlert(db)
      .where('a.id', 'in', ids.slice(i, i + 500))
      .execute();
    out.push(...rows.map(toDto));
  }
  return out;
}

/**
 * Applies one lifecycle change to the alerts among `ids` that are in the given states, with a
 * history entry each, in one transaction. Returns the ids changed.
 */
async function changeAlerts(
  db: Kysely<Database>,
  ids: readonly number[],
  change: {
    /** The states an alert must be in to change. */
    readonly from: readonly ('active' | 'acknowledged')[];
    readonly set: {
      state?: string;
      acked_at?: string;
      acked_by?: string;
      ack_comment?: string | null;
      snoozed_until?: string | null;
    };
    readonly action: string;
    readonly comment: string | null;
    readonly actor: string;
    readonly at: string;
  },
): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    const adb = alertsDb(trx);
    const rows = await adb
      .selectFrom('alert')
      .select('id')
      .where('id', 'in', ids)
      .where('state', 'in', [...change.from])
      .execute();
    const changed = rows.map((r) => r.id);
    if (changed.length === 0) return [];
    await adb.updateTable('alert').set(change.set).where('id', 'in', changed).execute();
    const { action, actor, comment, at } = change;
    await adb
      .insertInto('alert_history')
      .values(changed.map((id) => ({ alert_id: id, at, action, actor, comment })))
      .execute();
    return changed;
  });
}

/** Acknowledges active alerts (acknowledged and cleared ones are left alone). */
export function ackAlerts(
  db: Kysely<Database>,
  ids: readonly number[],
  actor: string,
  comment: string | null,
  now: Date,
): Promise<number[]> {
  const at = now.toISOString();
  return changeAlerts(db, ids, {
    from: ['active'],
    set: { state: 'acknowledged', acked_at: at, acked_by: actor, ack_comment: comment },
    action: 'acknowledged',
    comment,
    actor,
    at,
  });
}

/** Snoozes open alerts until now + minutes; 0 minutes ends a snooze. */
export function snoozeAlerts(
  db: Kysely<Database>,
  ids: readonly number[],
  minutes: number,
  actor: string,
  now: Date,
): Promise<number[]> {
  const until = minutes > 0 ? new Date(now.getTime() + minutes * 60_000).toISOString() : null;
  return changeAlerts(db, ids, {
    from: ['active', 'acknowledged'],
    set: { snoozed_until: until },
    action: until ? 'snoozed' : 'unsnoozed',
    comment: until ? `until ${until}` : null,
    actor,
    at: now.toISOString(),
  });
}

export async function alertHistory(db: Kysely<Database>, id: number): Promise<AlertHistoryEntry[]> {
  const adb = alertsDb(db);
  const exists = await adb.selectFrom('alert').select('id').where('id', '=', id).executeTakeFirst();
  if (!exists) throw new AppError('NOT_FOUND', `No alert with id ${id}.`);
  const rows = await adb
    .selectFrom('alert_history')
    .select(['at', 'action', 'actor', 'comment'])
    .where('alert_id', '=', id)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, action: r.action as AlertHistoryEntry['action'] }));
}

function suppressionDto(r: {
  id: number;
  rule: string;
  endpoint_id: number;
  entity_type: string;
  entity_id: string;
  reason: string;
  created_by: string;
  created_at: string;
}): SuppressionDto {
  return {
    id: r.id,
    rule: r.rule,
    endpointId: r.endpoint_id,
    entityType: r.entity_type,
    entityId: r.entity_id,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

/**
 * Suppresses one rule for one object (a known exception) and clears its open alert at once.
 * Returns the suppression and the ids of alerts it cleared.
 */
export async function suppress(
  db: Kysely<Database>,
  input: z.output<typeof alertSuppressSchema>,
  actor: string,
  now: Date,
): Promise<{ suppression: SuppressionDto; clearedIds: number[] }> {
  const at = now.toISOString();
  return db.transaction().execute(async (trx) => {
    const adb = alertsDb(trx);
    const ep = await trx
      .selectFrom('endpoint')
      .select('id')
      .where('id', '=', input.endpointId)
      .executeTakeFirst();
    if (!ep) throw new AppError('NOT_FOUND', `No endpoint with id ${input.endpointId}.`);
    const values = {
      rule: input.rule,
      endpoint_id: input.endpointId,
      entity_type: input.entityType,
      entity_id: input.entityId,
      reason: input.reason,
      created_by: actor,
      created_at: at,
    };
    const row = await adb
      .insertInto('alert_suppression')
      .values(values)
      .onConflict((oc) =>
        oc
          .columns(['rule', 'endpoint_id', 'entity_type', 'entity_id'])
          .doUpdateSet({ reason: input.reason }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    const open = await adb
      .selectFrom('alert')
      .select('id')
      .where('rule', '=', input.rule)
      .where('endpoint_id', '=', input.endpointId)
      .where('entity_type', '=', input.entityType)
      .where('entity_id', '=', input.entityId)
      .where('state', '<>', 'cleared')
      .execute();
    const clearedIds = open.map((o) => o.id);
    if (clearedIds.length > 0) {
      await adb
        .updateTable('alert')
        .set({ state: 'cleared', cleared_at: at, snoozed_until: null })
        .where('id', 'in', clearedIds)
        .execute();
      await adb
        .insertInto('alert_history')
        .values(
          clearedIds.map((id) => ({
            alert_id: id,
            at,
            action: 'suppressed',
            actor,
            comment: input.reason || null,
          })),
        )
        .execute();
    }
    return { suppression: suppressionDto(row), clearedIds };
  });
}

export async function unsuppress(db: Kysely<Database>, id: number): Promise<boolean> {
  const r = await alertsDb(db)
    .deleteFrom('alert_suppression')
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listSuppressions(db: Kysely<Database>): Promise<SuppressionDto[]> {
  const rows = await alertsDb(db)
    .selectFrom('alert_suppression')
    .selectAll()
    .orderBy('id')
    .execute();
  return rows.map(suppressionDto);
}

/** Counts of open alerts by severity, and the worst open severity per object (badges). */
export async function alertSummary(
  db: Kysely<Database>,
  now: Date,
  endpointId?: number,
): Promise<AlertSummary> {
  const at = now.toISOString();
  let q = alertsDb(db)
    .selectFrom('alert as a')
    .leftJoin('endpoint as e', 'e.id', 'a.endpoint_id')
    // A snapshot's alert also counts on its VM (the row an operator looks at).
    .leftJoin('snapshot as s', (j) =>
      j
        .onRef('s.endpoint_id', '=', 'a.endpoint_id')
        .onRef('s.native_id', '=', 'a.entity_id')
        .on('a.entity_type', '=', 'snapshot'),
    )
    .select([
      'a.endpoint_id',
      'e.name as endpoint',
      'a.entity_type',
      'a.entity_id',
      'a.severity',
      'a.snoozed_until',
      's.vm_id as snapshot_vm_id',
    ])
    .where('a.state', '<>', 'cleared');
  if (endpointId !== undefined) q = q.where('a.endpoint_id', '=', endpointId);
  const rows = await q.execute();
  const open: Record<AlertSeverity, number> = { info: 0, warning: 0, critical: 0 };
  let snoozed = 0;
  const worst = new Map<string, AlertSummary['entities'][number]>();
  for (const r of rows) {
    if (r.snoozed_until && r.snoozed_until > at) {
      snoozed++;
      continue;
    }
    const severity = r.severity as AlertSeverity;
    open[severity]++;
    if (r.endpoint_id === null || r.endpoint === null || !r.entity_type || !r.entity_id) continue;
    const bump = (endpointId: number, endpoint: string, entityType: string, entityId: string) => {
      const key = `${endpointId}|${entityType}|${entityId}`;
      const prev = worst.get(key);
      worst.set(key, {
        endpointId,
        endpoint,
        entityType,
        entityId,
        severity:
          prev && SEVERITY_RANK[prev.severity] >= SEVERITY_RANK[severity]
            ? prev.severity
            : severity,
        count: (prev?.count ?? 0) + 1,
      });
    };
    bump(r.endpoint_id, r.endpoint, r.entity_type, r.entity_id);
    if (r.snapshot_vm_id) bump(r.endpoint_id, r.endpoint, 'vm', r.snapshot_vm_id);
  }
  return { open, snoozed, entities: [...worst.values()] };
}
