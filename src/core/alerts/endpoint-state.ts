import type { Kysely } from 'kysely';
import { AppError } from '../../shared/errors.js';
import { datastoreForecast } from '../capacity/report.js';
import { relationsOf } from '../inventory/relations.js';
import { decodeRow, decodeStringList } from '../store/columns.js';
import type { Database } from '../store/schema.js';
import { runSummary } from '../sync/runs.js';
import type { EndpointState, VmState } from './rules.js';

/*
 * What the rules look at for one endpoint, loaded from the store in a few queries.
 */

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
