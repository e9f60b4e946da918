import type { Kysely } from 'kysely';
import type { AlertSeverity, EvaluationSummary } from '../../shared/alerts.js';
import { SEVERITY_RANK } from '../../shared/alerts.js';
import { AppError } from '../../shared/errors.js';
import { datastoreForecast } from '../capacity/report.js';
import { relationsOf } from '../inventory/relations.js';
import { decodeRow, decodeStringList } from '../store/columns.js';
import type { Database } from '../store/schema.js';
import { runSummary } from '../sync/runs.js';
import { loadRuleConfigs, ruleApplies } from './repository.js';
import type { Condition, EndpointState, VmState } from './rules.js';
import { RULES } from './rules.js';
import { alertsDb } from './tables.js';

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

const POWER_EVENT = /power|shutdown|off|suspend|reset|restart|standby/i;

/** Loads what the rules look at for one endpoint: live inventory, run history, power changes. */
export async function loadEndpointState(
  db: Kysely<Database>,
  endpointId: number,
  now: Date,
  opts: { forecast?: boolean } = {},
): Promise<EndpointState> {
  const ep = await db
    .selectFrom('endpoint')
    .selectAll()
    .where('id', '=', endpointId)
    .executeTakeFirst();
  if (!ep) throw new AppError('NOT_FOUND', `No endpoint with id ${endpointId}.`);
  const runs = await runSummary(db, endpointId);
  const lastFailed =
    runs.consecutiveFailures > 0 && runs.last?.status === 'failed' ? runs.last : null;

  const hosts = await db
    .selectFrom('host')
    .select([
      'native_id',
      'name',
      'connection_state',
      'in_maintenance',
      'cpu_cores',
      'tags',
      'ssh_enabled',
      'shell_enabled',
      'ntp_running',
      'ntp_servers',
      'certificate_expires_at',
    ])
    .where('endpoint_id', '=', endpointId)
    .where('deleted_at', 'is', null)
    .execute();
  const datastores = await db
    .selectFrom('datastore')
    .select(['native_id', 'name', 'capacity_bytes', 'free_bytes', 'uncommitted_bytes', 'tags'])
    .where('endpoint_id', '=', endpointId)
    .where('deleted_at', 'is', null)
    .execute();
  const vms = await db
    .selectFrom('vm')
    .select([
      'native_id',
      'name',
      'host_id',
      'power_state',
      'is_template',
      'cpu_count',
      'tools_status',
      'tools_running_status',
      'cdrom_connected',
      'floppy_connected',
      'guest_disks',
      'consolidation_needed',
      'custom_attributes',
      'tags',
      'first_seen',
    ])
    .where('endpoint_id', '=', endpointId)
    .where('deleted_at', 'is', null)
    .execute();
  const vmDatastores = await relationsOf(db, endpointId, 'vm.datastoreIds');
  const snapshots = await db
    .selectFrom('snapshot as s')
    .leftJoin('vm as v', (j) =>
      j.onRef('v.endpoint_id', '=', 's.endpoint_id').onRef('v.native_id', '=', 's.vm_id'),
    )
    .select([
      's.native_id',
      's.name',
      's.vm_id',
      'v.name as vm_name',
      's.created_at',
      's.size_bytes',
    ])
    .where('s.endpoint_id', '=', endpointId)
    .where('s.deleted_at', 'is', null)
    .execute();

  // The latest power-state change of each VM that is off now.
  const offIds = vms.filter((v) => v.power_state === 'poweredOff').map((v) => v.native_id);
  const lastOff = new Map<string, VmState['lastPowerOff']>();
  const powerEvents = new Map<string, { at: string; user: string }[]>();
  for (let i = 0; i < offIds.length; i += 500) {
    const part = offIds.slice(i, i + 500);
    const changes = await db
      .selectFrom('change_log')
      .select(['id', 'entity_id', 'at', 'old_value', 'new_value', 'user'])
      .where('endpoint_id', '=', endpointId)
      .where('entity_type', '=', 'vm')
      .where('field', '=', 'powerState')
      .where('entity_id', 'in', part)
      .orderBy('id')
      .execute();
    for (const c of changes) {
      lastOff.set(
        c.entity_id,
        c.new_value === 'poweredOff'
          ? { changeId: c.id, at: c.at, from: c.old_value, user: c.user }
          : null,
      );
    }
    const events = await db
      .selectFrom('event')
      .select(['entity_id', 'at', 'user', 'event_type', 'message'])
      .where('endpoint_id', '=', endpointId)
      .where('entity_type', '=', 'vm')
      .where('entity_id', 'in', part)
      .where('user', 'is not', null)
      .execute();
    for (const e of events) {
      if (!e.entity_id || !e.user) continue;
      if (!POWER_EVENT.test(e.event_type) && !POWER_EVENT.test(e.message)) continue;
      const list = powerEvents.get(e.entity_id) ?? [];
      list.push({ at: e.at, user: e.user });
      powerEvents.set(e.entity_id, list);
    }
  }

  const dsStates = [];
  for (const d of datastores) {
    const df = decodeRow('datastore', d);
    const capacityBytes = df.capacityBytes ?? null;
    const freeBytes = df.freeBytes ?? null;
    const f = opts.forecast
      ? await datastoreForecast(
          db,
          { endpointId, id: d.native_id, name: d.name, capacityBytes, freeBytes },
          now,
        )
      : null;
    dsStates.push({
      id: d.native_id,
      name: d.name,
      capacityBytes,
      freeBytes,
      uncommittedBytes: df.uncommittedBytes ?? null,
      tags: df.tags ?? [],
      daysUntilFull: f?.daysUntilFull ?? null,
      forecastConfidence: f?.confidence ?? null,
    });
  }

  return {
    endpointId,
    name: ep.name,
    kind: ep.kind,
    tags: decodeStringList(ep.tags),
    tlsValidTo: ep.tls_valid_to ?? null,
    enabled: ep.enabled === 1,
    pollIntervalSeconds: ep.poll_interval_s,
    createdAt: ep.created_at,
    consecutiveFailures: runs.consecutiveFailures,
    lastFailedRunId: lastFailed?.id ?? null,
    lastError: lastFailed?.error_message ?? null,
    lastGoodAt: runs.lastGoodAt,
    hosts: hosts.map((h) => {
      const f = decodeRow('host', h);
      return {
        id: h.native_id,
        name: h.name,
        connectionState: f.connectionState ?? null,
        inMaintenance: f.inMaintenance === true,
        cpuCores: f.cpuCores ?? null,
        tags: f.tags ?? [],
        sshEnabled: f.sshEnabled ?? null,
        shellEnabled: f.shellEnabled ?? null,
        ntpRunning: f.ntpRunning ?? null,
        // NULL (not reported) stays null: unlike an empty list, it is no finding.
        ntpServers: f.ntpServers ?? null,
        certificateExpiresAt: f.certificateExpiresAt ?? null,
      };
    }),
    datastores: dsStates,
    vms: vms.map((v) => {
      const f = decodeRow('vm', v);
      return {
        id: v.native_id,
        name: v.name,
        hostId: f.hostId ?? null,
        powerState: f.powerState ?? null,
        isTemplate: f.isTemplate === true,
        cpuCount: f.cpuCount ?? null,
        toolsStatus: f.toolsStatus ?? null,
        toolsRunningStatus: f.toolsRunningStatus ?? null,
        cdromConnected: f.cdromConnected === true,
        floppyConnected: f.floppyConnected === true,
        guestDisks: f.guestDisks ?? [],
        consolidationNeeded: f.consolidationNeeded === true,
        datastoreIds: vmDatastores.get(v.native_id) ?? [],
        tags: f.tags ?? [],
        customAttributes: f.customAttributes ?? {},
        firstSeen: v.first_seen,
        lastPowerOff: lastOff.get(v.native_id) ?? null,
      };
    }),
    snapshots: snapshots.map((s) => ({
      id: s.native_id,
      name: s.name,
      vmId: s.vm_id,
      vmName: s.vm_name,
      createdAt: s.created_at,
      sizeBytes: s.size_bytes,
    })),
    powerEvents,
  };
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
