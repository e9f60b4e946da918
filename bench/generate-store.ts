/**
 * Fills a store with a large synthetic vSphere estate for the UI benchmark: N VMs (default
 * 100,000) spread over two endpoints, with hosts, clusters, datastores, networks, disks, NICs and
 * some snapshots, written through the real writer (change log and relations included).
 *
 * Run: node --import tsx bench/generate-store.ts [--vms 100000] [--data-dir .tmp/bench-store]
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFullInventory } from '../src/core/inventory/writer.js';
import { STORE_FILE, openStore } from '../src/core/store/sqlite.js';
import type { CollectedEntity } from '../src/shared/entities.js';

export interface GenerateOptions {
  readonly vms: number;
  readonly dataDir: string;
  readonly endpoints: number;
}

const GUESTS = [
  'ubuntu64Guest',
  'rhel9_64Guest',
  'windows2019srv_64Guest',
  'debian12_64Guest',
  'sles15_64Guest',
];
const WORDS = ['web', 'db', 'app', 'cache', 'api', 'batch', 'mq', 'ldap', 'proxy', 'build'];

/** The i-th VM's name, IP and BIOS UUID on endpoint `ep` (the benchmark searches for them). */
export function vmName(ep: number, i: number): string {
  return `${WORDS[i % WORDS.length]}-${ep}-${String(i).padStart(6, '0')}`;
}
export function vmIp(ep: number, i: number): string {
  return `10.${Math.floor(i / 65536) + ep * 10}.${Math.floor(i / 256) % 256}.${i % 256}`;
}
export function vmUuid(ep: number, i: number): string {
  return `4200${String(ep).padStart(4, '0')}-${String(i).padStart(8, '0')}-0000-0000-000000000000`;
}

/** A deterministic pseudo-random sequence, so every run builds the same estate. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One endpoint's inventory: `vms` VMs, a host per 25 VMs, a cluster per 16 hosts. */
export function estate(ep: number, vms: number): CollectedEntity[] {
  const r = rng(ep * 7919);
  const hosts = Math.max(2, Math.ceil(vms / 25));
  const clusters = Math.max(1, Math.ceil(hosts / 16));
  const datastores = Math.max(2, Math.ceil(vms / 200));
  const networks = Math.max(2, Math.ceil(vms / 500));
  const now = Date.now();
  const out: CollectedEntity[] = [
    { type: 'datacenter', id: 'datacenter-1', name: `DC${ep}`, fields: {} },
  ];
  for (let c = 1; c <= clusters; c++) {
    out.push({
      type: 'cluster',
      id: `domain-c${c}`,
      name: `cl${ep}-${String(c).padStart(3, '0')}`,
      fields: {
        datacenterId: 'datacenter-1',
        haEnabled: true,
        drsEnabled: c % 3 !== 0,
        hostCount: 16,
        overallStatus: 'green',
      },
    });
    out.push({
      type: 'resourcePool',
      id: `resgroup-${c}`,
      name: 'Resources',
      fields: { clusterId: `domain-c${c}`, datacenterId: 'datacenter-1' },
    });
  }
  for (let d = 1; d <= datastores; d++) {
    const cap = (4 + (d % 8)) * 2 ** 40;
    out.push({
      type: 'datastore',
      id: `datastore-${d}`,
      name: `ds${ep}-${String(d).padStart(4, '0')}`,
      fields: {
        datacenterId: 'datacenter-1',
        type: d % 4 === 0 ? 'NFS' : 'VMFS',
        capacityBytes: cap,
        freeBytes: Math.round(cap * (0.05 + r() * 0.6)),
        accessible: true,
        hostIds: [`host-${((d - 1) % hosts) + 1}`],
      },
    });
  }
  for (let n = 1; n <= networks; n++) {
    out.push({
      type: 'network',
      id: `network-${n}`,
      name: `VLAN${100 + n}-${WORDS[n % WORDS.length]}`,
      fields: {
        datacenterId: 'datacenter-1',
        networkType: 'dvportgroup',
        vlanId: String(100 + n),
        switchName: 'dvs-core',
      },
    });
  }
  for (let h = 1; h <= hosts; h++) {
    out.push({
      type: 'host',
      id: `host-${h}`,
      name: `esx${ep}-${String(h).padStart(5, '0')}.lab.test`,
      fields: {
        datacenterId: 'datacenter-1',
        clusterId: `domain-c${((h - 1) % clusters) + 1}`,
        connectionState: h % 97 === 0 ? 'disconnected' : 'connected',
        powerState: 'poweredOn',
        inMaintenance: h % 53 === 0,
        vendor: 'Dell Inc.',
        model: 'PowerEdge R750',
        cpuModel: 'Intel(R) Xeon(R) Gold 6338',
        cpuSockets: 2,
        cpuCores: 64,
        cpuMhz: 2000,
        memoryBytes: 1024 * 2 ** 30,
        cpuUsageMhz: Math.round(r() * 100_000),
        memoryUsageBytes: Math.round(r() * 900 * 2 ** 30),
        productName: 'VMware ESXi',
        version: '8.0.2',
        build: '22380479',
      },
    });
  }
  for (let i = 1; i <= vms; i++) {
    const host = ((i - 1) % hosts) + 1;
    const ds = ((i - 1) % datastores) + 1;
    const net = ((i - 1) % networks) + 1;
    const power = r();
    const mem = 1024 * (1 + Math.floor(r() * 32));
    const prov = Math.round((20 + r() * 480) * 2 ** 30);
    out.push({
      type: 'vm',
      id: `vm-${i}`,
      name: vmName(ep, i),
      fields: {
        datacenterId: 'datacenter-1',
        clusterId: `domain-c${((host - 1) % clusters) + 1}`,
        hostId: `host-${host}`,
        resourcePoolId: `resgroup-${((host - 1) % clusters) + 1}`,
        powerState: power < 0.8 ? 'poweredOn' : power < 0.97 ? 'poweredOff' : 'suspended',
        connectionState: 'connected',
        isTemplate: false,
        guestOs: GUESTS[i % GUESTS.length]!,
        guestHostname: `${WORDS[i % WORDS.length]}${i}.corp.test`,
        ipAddress: vmIp(ep, i),
        cpuCount: 1 + Math.floor(r() * 16),
        memoryMb: mem,
        provisionedBytes: prov,
        usedBytes: Math.round(prov * (0.1 + r() * 0.8)),
        uuid: vmUuid(ep, i),
        instanceUuid: `5000${String(ep).padStart(4, '0')}-${String(i).padStart(8, '0')}-0000-0000-000000000000`,
        toolsStatus: 'toolsOk',
        hardwareVersion: 'vmx-19',
        cpuUsageMhz: Math.round(r() * 4000),
        memoryUsageMb: Math.round(mem * r()),
        nicCount: 1,
        diskCount: 1,
        datastoreIds: [`datastore-${ds}`],
        networkIds: [`network-${net}`],
        folderPath: `/DC${ep}/vm/${WORDS[i % WORDS.length]}`,
      },
    });
    if (i % 10 === 0) {
      out.push({
        type: 'snapshot',
        id: `snapshot-${i}`,
        name: `before patch ${i}`,
        fields: {
          vmId: `vm-${i}`,
          createdAt: new Date(now - r() * 90 * 86_400_000).toISOString(),
          isCurrent: true,
        },
      });
    }
  }
  return out;
}

export async function generateStore(opts: GenerateOptions): Promise<{ file: string; ms: number }> {
  const started = performance.now();
  const file = join(opts.dataDir, STORE_FILE);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) rmSync(f);
  const store = await openStore({ file });
  try {
    const per = Math.ceil(opts.vms / opts.endpoints);
    for (let ep = 1; ep <= opts.endpoints; ep++) {
      const now = new Date().toISOString();
      const { id } = await store.db
        .insertInto('endpoint')
        .values({
          name: `vc-bench-${ep}`,
          kind: 'vcenter',
          host: `vc${ep}.bench.test`,
          port: 443,
          username: 'reader',
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const count = Math.min(per, opts.vms - per * (ep - 1));
      await writeFullInventory(
        store.db,
        { entities: estate(ep, count) },
        { endpointId: id, syncRunId: null, now: new Date() },
      );
    }
  } finally {
    await store.close();
  }
  return { file, ms: performance.now() - started };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const vms = Number(arg('vms') ?? process.env['BENCH_VMS'] ?? 100_000);
  const dataDir = resolve(arg('data-dir') ?? '.tmp/bench-store');
  const { file, ms } = await generateStore({ vms, dataDir, endpoints: vms >= 1000 ? 2 : 1 });
  console.log(`Wrote ${vms.toLocaleString('en-US')} VMs to ${file} in ${(ms / 1000).toFixed(1)} s`);
}
