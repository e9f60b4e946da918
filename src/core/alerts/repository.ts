import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { z } from 'zod';
import type {
  AlertDto,
  AlertSummary,
  AlertHistoryEntry,
  AlertSeverity,
  AlertState,
} from '../../shared/alerts.js';
import type { alertListSchema } from '../../shared/alerts.js';
import { SEVERITY_RANK } from '../../shared/alerts.js';
import { AppError } from '../../shared/errors.js';
import type { Database } from '../store/schema.js';
import { entityTagged } from '../inventory/scope-sql.js';
import { engineOf } from '../store/sqlite.js';
import { alertsDb } from './tables.js';

/*
 * Alerts: listing, reading, acknowledging and snoozing them, their history and the summary.
 */

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
      sql<boolean>`${entityTagged('a.endpoint_id', 'a.entity_type', 'a.entity_id', f.scope.tag, engineOf(db))}`,
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
