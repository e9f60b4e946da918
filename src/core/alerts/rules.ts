import type { AlertEntityType, AlertRuleId, AlertSeverity } from '../../shared/alerts.js';
import type { GuestDisk } from '../../shared/entities.js';

/*
 * The built-in rules. Each one is a pure function from the state of one endpoint (loaded by the
 * engine) and its thresholds to the conditions that hold now. The engine turns conditions into
 * alerts: raise, fold repeats, clear what no longer holds.
 */

export interface HostState {
  readonly id: string;
  readonly name: string;
  readonly connectionState: string | null;
  readonly inMaintenance: boolean;
  readonly cpuCores: number | null;
  readonly tags: readonly string[];
  /** Health fields: null where the collector does not report them (Hyper-V, an old API). */
  readonly sshEnabled: boolean | null;
  readonly shellEnabled: boolean | null;
  readonly ntpRunning: boolean | null;
  readonly ntpServers: readonly string[] | null;
  readonly certificateExpiresAt: string | null;
}

/** One partition as the guest reports it (the model's `vm.guestDisks` rows). */
export type { GuestDisk };

export interface DatastoreState {
  readonly id: string;
  readonly name: string;
  readonly capacityBytes: number | null;
  readonly freeBytes: number | null;
  readonly uncommittedBytes: number | null;
  readonly tags: readonly string[];
  /** From history; null without enough of it. */
  readonly daysUntilFull: number | null;
  readonly forecastConfidence: number | null;
}

export interface VmState {
  readonly id: string;
  readonly name: string;
  readonly hostId: string | null;
  readonly powerState: string | null;
  readonly isTemplate: boolean;
  readonly cpuCount: number | null;
  readonly toolsStatus: string | null;
  readonly toolsRunningStatus: string | null;
  readonly cdromConnected: boolean;
  readonly floppyConnected: boolean;
  readonly consolidationNeeded: boolean;
  /** Empty where the guest reports no partitions (no tools, powered off, Hyper-V). */
  readonly guestDisks: readonly GuestDisk[];
  readonly datastoreIds: readonly string[];
  readonly tags: readonly string[];
  /** Custom attributes by name (Hyper-V keeps replication and integration-services state here). */
  readonly customAttributes: Readonly<Record<string, string>>;
  readonly firstSeen: string;
  /** The latest power-state change to poweredOff, if the change log has one. */
  readonly lastPowerOff: {
    readonly changeId: number;
    readonly at: string;
    readonly from: string | null;
    readonly user: string | null;
  } | null;
}

export interface SnapshotState {
  readonly id: string;
  readonly name: string;
  readonly vmId: string | null;
  readonly vmName: string | null;
  readonly createdAt: string | null;
  readonly sizeBytes: number | null;
}

export interface EndpointState {
  readonly endpointId: number;
  readonly name: string;
  readonly kind: string;
  readonly tags: readonly string[];
  readonly enabled: boolean;
  /** Expiry of the endpoint's TLS certificate as last seen by a connectivity test; null if unknown. */
  readonly tlsValidTo: string | null;
  readonly pollIntervalSeconds: number;
  readonly createdAt: string;
  readonly consecutiveFailures: number;
  readonly lastFailedRunId: number | null;
  readonly lastError: string | null;
  readonly lastGoodAt: string | null;
  readonly hosts: readonly HostState[];
  readonly datastores: readonly DatastoreState[];
  readonly vms: readonly VmState[];
  readonly snapshots: readonly SnapshotState[];
  /** Users of power events per VM (time, user), to tell a user's power-off from an unexpected one. */
  readonly powerEvents: ReadonlyMap<string, readonly { at: string; user: string }[]>;
}

export interface Condition {
  readonly rule: AlertRuleId;
  readonly severity: AlertSeverity;
  readonly entityType: AlertEntityType;
  readonly entityId: string;
  readonly entityName: string;
  readonly message: string;
  /** Tags of the subject, for tag-scoped rules. */
  readonly tags: readonly string[];
  /** Identifies one occurrence of an event-like condition; a new one counts as a repeat. */
  readonly occurrence?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type Params = Readonly<Record<string, number>>;

export interface RuleDef {
  readonly id: AlertRuleId;
  readonly title: string;
  readonly description: string;
  readonly entityType: AlertEntityType;
  readonly defaults: Params;
  evaluate(state: EndpointState, params: Params, now: Date): Condition[];
}

const DAY_MS = 86_400_000;
const GIB = 2 ** 30;

const p = (params: Params, key: string, fallback: number): number => params[key] ?? fallback;

const pct = (n: number): string => `${n.toFixed(1)} %`;

function cond(
  rule: AlertRuleId,
  severity: AlertSeverity,
  entityType: AlertEntityType,
  subject: { id: string; name: string; tags?: readonly string[] },
  message: string,
  extra: { occurrence?: string; details?: Record<string, unknown> } = {},
): Condition {
  return {
    rule,
    severity,
    entityType,
    entityId: subject.id,
    entityName: subject.name,
    message,
    tags: subject.tags ?? [],
    ...extra,
  };
}

function liveVms(state: EndpointState): readonly VmState[] {
  return state.vms.filter((v) => !v.isTemplate);
}

/** Replication health values that are no finding (the collector omits it when replication is off). */
const REPLICATION_OK = new Set(['Normal', 'NotApplicable']);

/**
 * The enabled integration services that report a status other than OK, from the Hyper-V
 * collector's "Name: status; Name: status" attribute ("off" is a disabled service, "on" an
 * enabled one that reported no status: neither is a finding).
 */
function unhealthyIntegrationServices(value: string | undefined): string[] {
  if (!value) return [];
  return value.split('; ').flatMap((entry) => {
    const i = entry.lastIndexOf(': ');
    if (i < 0) return [];
    const status = entry.slice(i + 2).trim();
    if (status === '' || status === 'off' || status === 'on' || status === 'OK') return [];
    return [`${entry.slice(0, i)}: ${status}`];
  });
}

export const RULES: readonly RuleDef[] = [
  {
    id: 'host-connection',
    title: 'Host disconnected or not responding',
    description: 'The host is not connected to its vCenter.',
    entityType: 'host',
    defaults: {},
    evaluate: (s) =>
      s.hosts.flatMap((h) =>
        h.connectionState === 'notResponding'
          ? [cond('host-connection', 'critical', 'host', h, `Host ${h.name} is not responding`)]
          : h.connectionState === 'disconnected'
            ? [cond('host-connection', 'warning', 'host', h, `Host ${h.name} is disconnected`)]
            : [],
      ),
  },
  {
    id: 'host-maintenance',
    title: 'Host in maintenance mode',
    description: 'For information: the host runs no VMs until it leaves maintenance mode.',
    entityType: 'host',
    defaults: {},
    evaluate: (s) =>
      s.hosts
        .filter((h) => h.inMaintenance)
        .map((h) =>
          cond('host-maintenance', 'info', 'host', h, `Host ${h.name} is in maintenance mode`),
        ),
  },
  {
    id: 'host-ssh-shell',
    title: 'Host SSH or ESXi Shell enabled',
    description: 'SSH or the ESXi Shell runs on the host: a hardening guide finding.',
    entityType: 'host',
    defaults: {},
    evaluate: (s) =>
      s.hosts.flatMap((h) => {
        const on = [h.sshEnabled ? 'SSH' : null, h.shellEnabled ? 'ESXi Shell' : null].filter(
          (x): x is string => x !== null,
        );
        if (on.length === 0) return [];
        return [
          cond(
            'host-ssh-shell',
            'warning',
            'host',
            h,
            `Host ${h.name} has ${on.join(' and ')} enabled`,
            { details: { ssh: h.sshEnabled, shell: h.shellEnabled } },
          ),
        ];
      }),
  },
  {
    id: 'host-ntp',
    title: 'Host NTP not configured or not running',
    description: 'The host has no NTP server configured, or its NTP daemon is stopped.',
    entityType: 'host',
    defaults: {},
    evaluate: (s) =>
      s.hosts.flatMap((h) => {
        // Unknown (null) is not a finding: only what the host reported counts.
        const problems = [
          h.ntpServers !== null && h.ntpServers.length === 0 ? 'no NTP server configured' : null,
          h.ntpRunning === false ? 'NTP not running' : null,
        ].filter((x): x is string => x !== null);
        if (problems.length === 0) return [];
        return [
          cond('host-ntp', 'warning', 'host', h, `Host ${h.name} has ${problems.join(' and ')}`, {
            details: { ntpServers: h.ntpServers, ntpRunning: h.ntpRunning },
          }),
        ];
      }),
  },
  {
    id: 'host-certificate-expiring',
    title: 'Host certificate expiring',
    description: 'The host certificate expires within the number of days (critical once expired).',
    entityType: 'host',
    defaults: { days: 60 },
    evaluate: (s, params, now) =>
      s.hosts.flatMap((h) => {
        if (!h.certificateExpiresAt) return [];
        const days = (Date.parse(h.certificateExpiresAt) - now.getTime()) / DAY_MS;
        if (Number.isNaN(days) || days > p(params, 'days', 60)) return [];
        return [
          cond(
            'host-certificate-expiring',
            days <= 0 ? 'critical' : 'warning',
            'host',
            h,
            days <= 0
              ? `The certificate of host ${h.name} expired on ${h.certificateExpiresAt.slice(0, 10)}`
              : `The certificate of host ${h.name} expires in ${Math.floor(days)} days (${h.certificateExpiresAt.slice(0, 10)})`,
            { details: { expiresAt: h.certificateExpiresAt } },
          ),
        ];
      }),
  },
  {
    id: 'host-vcpu-ratio',
    title: 'Too many vCPUs per physical core',
    description: 'vCPUs of powered-on VMs per physical core of the host above the threshold.',
    entityType: 'host',
    defaults: { maxRatio: 4 },
    evaluate: (s, params) => {
      const max = p(params, 'maxRatio', 4);
      const vcpus = new Map<string, number>();
      for (const v of liveVms(s)) {
        if (v.powerState !== 'poweredOn' || !v.hostId) continue;
        vcpus.set(v.hostId, (vcpus.get(v.hostId) ?? 0) + (v.cpuCount ?? 0));
      }
      return s.hosts.flatMap((h) => {
        const n = vcpus.get(h.id) ?? 0;
        if (!h.cpuCores || n / h.cpuCores <= max) return [];
        const ratio = n / h.cpuCores;
        return [
          cond(
            'host-vcpu-ratio',
            'warning',
            'host',
            h,
            `Host ${h.name} runs ${n} vCPUs on ${h.cpuCores} cores (${ratio.toFixed(1)}:1, above ${max}:1)`,
            { details: { vcpus: n, cores: h.cpuCores, ratio } },
          ),
        ];
      });
    },
  },
  {
    id: 'datastore-usage',
    title: 'Datastore space used',
    description: 'Used space above the warning or critical share of capacity.',
    entityType: 'datastore',
    defaults: { warningPercent: 80, criticalPercent: 90 },
    evaluate: (s, params) =>
      s.datastores.flatMap((d) => {
        if (!d.capacityBytes || d.freeBytes === null) return [];
        const used = (100 * (d.capacityBytes - d.freeBytes)) / d.capacityBytes;
        const crit = p(params, 'criticalPercent', 90);
        const warn = p(params, 'warningPercent', 80);
        if (used <= warn) return [];
        const severity = used > crit ? 'critical' : 'warning';
        return [
          cond(
            'datastore-usage',
            severity,
            'datastore',
            d,
            `Datastore ${d.name} is ${pct(used)} full (${severity} above ${pct(severity === 'critical' ? crit : warn)})`,
            { details: { usedPercent: used } },
          ),
        ];
      }),
  },
  {
    id: 'datastore-overallocated',
    title: 'Datastore over-allocated',
    description: 'Provisioned space (used plus uncommitted thin space) above capacity × the ratio.',
    entityType: 'datastore',
    defaults: { maxRatio: 1.5 },
    evaluate: (s, params) =>
      s.datastores.flatMap((d) => {
        if (!d.capacityBytes || d.freeBytes === null) return [];
        const provisioned = d.capacityBytes - d.freeBytes + (d.uncommittedBytes ?? 0);
        const ratio = provisioned / d.capacityBytes;
        const max = p(params, 'maxRatio', 1.5);
        if (ratio <= max) return [];
        return [
          cond(
            'datastore-overallocated',
            'warning',
            'datastore',
            d,
            `Datastore ${d.name} is provisioned to ${(ratio * 100).toFixed(0)} % of its capacity`,
            { details: { ratio } },
          ),
        ];
      }),
  },
  {
    id: 'datastore-vm-count',
    title: 'Too many VMs on a datastore',
    description: 'More VMs keep files on the datastore than the threshold.',
    entityType: 'datastore',
    defaults: { maxVms: 30 },
    evaluate: (s, params) => {
      const counts = new Map<string, number>();
      for (const v of s.vms)
        for (const id of new Set(v.datastoreIds)) counts.set(id, (counts.get(id) ?? 0) + 1);
      const max = p(params, 'maxVms', 30);
      return s.datastores.flatMap((d) => {
        const n = counts.get(d.id) ?? 0;
        return n > max
          ? [
              cond(
                'datastore-vm-count',
                'warning',
                'datastore',
                d,
                `Datastore ${d.name} holds ${n} VMs (more than ${max})`,
              ),
            ]
          : [];
      });
    },
  },
  {
    id: 'datastore-forecast-full',
    title: 'Datastore full soon (forecast)',
    description:
      'A straight-line fit of the last 30 days of daily peaks reaches capacity within the horizon.',
    entityType: 'datastore',
    defaults: { days: 30, minConfidence: 0.5 },
    evaluate: (s, params) =>
      s.datastores.flatMap((d) => {
        if (d.daysUntilFull === null || d.forecastConfidence === null) return [];
        if (d.daysUntilFull > p(params, 'days', 30)) return [];
        if (d.forecastConfidence < p(params, 'minConfidence', 0.5)) return [];
        return [
          cond(
            'datastore-forecast-full',
            'warning',
            'datastore',
            d,
            `Datastore ${d.name} is forecast to be full in ${Math.floor(d.daysUntilFull)} days (R² ${d.forecastConfidence.toFixed(2)})`,
            { details: { daysUntilFull: d.daysUntilFull, confidence: d.forecastConfidence } },
          ),
        ];
      }),
  },
  {
    id: 'vm-powered-off-unexpectedly',
    title: 'VM powered off unexpectedly',
    description:
      'The VM went to poweredOff with no user event behind it (a crash, a host failure, a guest halt).',
    entityType: 'vm',
    defaults: {},
    evaluate: (s) =>
      liveVms(s).flatMap((v) => {
        const off = v.lastPowerOff;
        if (v.powerState !== 'poweredOff' || !off || off.from === null || off.user !== null)
          return [];
        // A user's power event near the change explains it, even when it arrived in a later write.
        const at = Date.parse(off.at);
        const slack = (s.pollIntervalSeconds + 300) * 1000;
        const explained = (s.powerEvents.get(v.id) ?? []).some((e) => {
          const t = Date.parse(e.at);
          return t >= at - slack && t <= at + 300_000;
        });
        if (explained) return [];
        return [
          cond(
            'vm-powered-off-unexpectedly',
            'warning',
            'vm',
            v,
            `VM ${v.name} powered off with no user action behind it (was ${off.from})`,
            { occurrence: `change:${off.changeId}`, details: { at: off.at } },
          ),
        ];
      }),
  },
  {
    id: 'vm-powered-off-long',
    title: 'VM powered off for long',
    description: 'The VM has been powered off for more than the number of days.',
    entityType: 'vm',
    defaults: { days: 7 },
    evaluate: (s, params, now) =>
      liveVms(s).flatMap((v) => {
        if (v.powerState !== 'poweredOff') return [];
        const since = v.lastPowerOff?.at ?? v.firstSeen;
        const days = (now.getTime() - Date.parse(since)) / DAY_MS;
        if (days <= p(params, 'days', 7)) return [];
        return [
          cond(
            'vm-powered-off-long',
            'info',
            'vm',
            v,
            `VM ${v.name} has been powered off for ${Math.floor(days)} days`,
            {
              details: { since },
            },
          ),
        ];
      }),
  },
  {
    id: 'snapshot-old',
    title: 'Old snapshot',
    description: 'A snapshot older than the number of days.',
    entityType: 'snapshot',
    defaults: { days: 7 },
    evaluate: (s, params, now) =>
      s.snapshots.flatMap((sn) => {
        if (!sn.createdAt) return [];
        const days = (now.getTime() - Date.parse(sn.createdAt)) / DAY_MS;
        if (days <= p(params, 'days', 7)) return [];
        return [
          cond(
            'snapshot-old',
            'warning',
            'snapshot',
            { id: sn.id, name: sn.name },
            `Snapshot "${sn.name}" of ${sn.vmName ?? sn.vmId ?? 'an unknown VM'} is ${Math.floor(days)} days old`,
            { details: { vmId: sn.vmId, createdAt: sn.createdAt } },
          ),
        ];
      }),
  },
  {
    id: 'snapshot-large',
    title: 'Large snapshot',
    description: 'A snapshot larger than the size in GiB.',
    entityType: 'snapshot',
    defaults: { sizeGiB: 50 },
    evaluate: (s, params) =>
      s.snapshots.flatMap((sn) => {
        if (sn.sizeBytes === null || sn.sizeBytes <= p(params, 'sizeGiB', 50) * GIB) return [];
        return [
          cond(
            'snapshot-large',
            'warning',
            'snapshot',
            { id: sn.id, name: sn.name },
            `Snapshot "${sn.name}" of ${sn.vmName ?? sn.vmId ?? 'an unknown VM'} holds ${(sn.sizeBytes / GIB).toFixed(1)} GiB`,
            { details: { vmId: sn.vmId, sizeBytes: sn.sizeBytes } },
          ),
        ];
      }),
  },
  {
    id: 'vm-tools',
    title: 'VMware Tools not installed, not running or outdated',
    description: 'On a powered-on VM.',
    entityType: 'vm',
    defaults: {},
    evaluate: (s) =>
      liveVms(s).flatMap((v) => {
        if (v.powerState !== 'poweredOn') return [];
        if (v.toolsStatus === 'toolsNotInstalled')
          return [
            cond('vm-tools', 'warning', 'vm', v, `VMware Tools are not installed on ${v.name}`),
          ];
        if (v.toolsStatus === 'toolsNotRunning' || v.toolsRunningStatus === 'guestToolsNotRunning')
          return [
            cond('vm-tools', 'warning', 'vm', v, `VMware Tools are not running on ${v.name}`),
          ];
        if (v.toolsStatus === 'toolsOld')
          return [cond('vm-tools', 'info', 'vm', v, `VMware Tools are outdated on ${v.name}`)];
        return [];
      }),
  },
  {
    // The id predates floppies; it stays so that stored settings and alerts keep their rule.
    id: 'vm-cdrom-connected',
    title: 'CD-ROM or floppy connected',
    description: 'A connected CD-ROM or floppy blocks vMotion and DRS.',
    entityType: 'vm',
    defaults: {},
    evaluate: (s) =>
      liveVms(s).flatMap((v) => {
        const what = [v.cdromConnected ? 'a CD-ROM' : null, v.floppyConnected ? 'a floppy' : null]
          .filter((x): x is string => x !== null)
          .join(' and ');
        if (!what) return [];
        return [cond('vm-cdrom-connected', 'info', 'vm', v, `VM ${v.name} has ${what} connected`)];
      }),
  },
  {
    id: 'vm-guest-disk-free',
    title: 'Guest partition low on free space',
    description: 'A partition the guest reports has less than the share of its capacity free.',
    entityType: 'vm',
    defaults: { minFreePercent: 10 },
    evaluate: (s, params) =>
      liveVms(s).flatMap((v) => {
        const min = p(params, 'minFreePercent', 10);
        const low = v.guestDisks.flatMap((d) => {
          if (!d.capacityBytes || d.freeBytes === null) return [];
          const free = (100 * d.freeBytes) / d.capacityBytes;
          return free < min ? [{ path: d.path ?? '?', freePercent: free }] : [];
        });
        if (low.length === 0) return [];
        const list = low.map((d) => `${d.path} ${pct(d.freePercent)} free`).join(', ');
        return [
          cond(
            'vm-guest-disk-free',
            'warning',
            'vm',
            v,
            `VM ${v.name} has partitions below ${pct(min)} free: ${list}`,
            { details: { partitions: low } },
          ),
        ];
      }),
  },
  {
    id: 'vm-consolidation-needed',
    title: 'Disk consolidation needed',
    description: 'Snapshot deltas were left behind after a snapshot removal.',
    entityType: 'vm',
    defaults: {},
    evaluate: (s) =>
      liveVms(s)
        .filter((v) => v.consolidationNeeded)
        .map((v) =>
          cond(
            'vm-consolidation-needed',
            'warning',
            'vm',
            v,
            `VM ${v.name} needs disk consolidation`,
          ),
        ),
  },
  {
    id: 'endpoint-sync-failing',
    title: 'Endpoint sync failing',
    description: 'Full syncs failed this many times in a row.',
    entityType: 'endpoint',
    defaults: { failures: 3 },
    evaluate: (s, params) => {
      const n = p(params, 'failures', 3);
      if (s.consecutiveFailures < n) return [];
      return [
        cond(
          'endpoint-sync-failing',
          'critical',
          'endpoint',
          { id: String(s.endpointId), name: s.name, tags: s.tags },
          `Sync of ${s.name} failed ${s.consecutiveFailures} times in a row${s.lastError ? `: ${s.lastError}` : ''}`,
          {
            ...(s.lastFailedRunId === null ? {} : { occurrence: `run:${s.lastFailedRunId}` }),
            details: { failures: s.consecutiveFailures },
          },
        ),
      ];
    },
  },
  {
    id: 'endpoint-stale',
    title: 'Endpoint data stale',
    description:
      'No successful sync for this many poll intervals (and at least the minimum minutes).',
    entityType: 'endpoint',
    defaults: { intervals: 3, minMinutes: 60 },
    evaluate: (s, params, now) => {
      if (!s.enabled) return [];
      const since = s.lastGoodAt ?? s.createdAt;
      const limitMs = Math.max(
        p(params, 'intervals', 3) * s.pollIntervalSeconds * 1000,
        p(params, 'minMinutes', 60) * 60_000,
      );
      const age = now.getTime() - Date.parse(since);
      if (age <= limitMs) return [];
      return [
        cond(
          'endpoint-stale',
          'warning',
          'endpoint',
          { id: String(s.endpointId), name: s.name, tags: s.tags },
          s.lastGoodAt
            ? `${s.name} was last synced ${Math.floor(age / 60_000)} minutes ago`
            : `${s.name} has never synced`,
          { details: { lastGoodAt: s.lastGoodAt } },
        ),
      ];
    },
  },
  {
    id: 'hyperv-vm-health',
    title: 'Hyper-V integration services or replication unhealthy',
    description:
      'A Hyper-V VM whose replication health is not Normal, or (powered on) whose enabled integration services do not report OK.',
    entityType: 'vm',
    defaults: {},
    evaluate: (s) => {
      if (s.kind !== 'hyperv') return [];
      return liveVms(s).flatMap((v) => {
        const replication = v.customAttributes['Replication health'] ?? null;
        const badReplication =
          replication !== null && replication !== '' && !REPLICATION_OK.has(replication);
        const services =
          v.powerState === 'poweredOn'
            ? unhealthyIntegrationServices(v.customAttributes['Integration services'])
            : [];
        if (!badReplication && services.length === 0) return [];
        const problems = [
          badReplication ? `replication health ${replication}` : null,
          services.length > 0 ? `integration services ${services.join(', ')}` : null,
        ].filter((x): x is string => x !== null);
        return [
          cond(
            'hyperv-vm-health',
            'warning',
            'vm',
            v,
            `VM ${v.name} has ${problems.join(' and ')}`,
            {
              details: {
                replicationHealth: badReplication ? replication : null,
                integrationServices: services,
              },
            },
          ),
        ];
      });
    },
  },
  {
    id: 'endpoint-certificate-expiring',
    title: 'Endpoint TLS certificate expiring',
    description:
      'The certificate the endpoint presented at its last connectivity test expires within the number of days (critical once expired).',
    entityType: 'endpoint',
    defaults: { days: 30 },
    evaluate: (s, params, now) => {
      if (!s.tlsValidTo) return [];
      const days = (Date.parse(s.tlsValidTo) - now.getTime()) / DAY_MS;
      if (Number.isNaN(days) || days > p(params, 'days', 30)) return [];
      const date = s.tlsValidTo.slice(0, 10);
      return [
        cond(
          'endpoint-certificate-expiring',
          days <= 0 ? 'critical' : 'warning',
          'endpoint',
          { id: String(s.endpointId), name: s.name, tags: s.tags },
          days <= 0
            ? `The TLS certificate of ${s.name} expired on ${date}`
            : `The TLS certificate of ${s.name} expires in ${Math.floor(days)} days (${date})`,
          { details: { validTo: s.tlsValidTo } },
        ),
      ];
    },
  },
];

export const RULES_BY_ID: ReadonlyMap<AlertRuleId, RuleDef> = new Map(RULES.map((r) => [r.id, r]));
