/**
 * `npm run bench:export`: 100,000 VMs (with a disk and a NIC each) in a file-backed store, then
 * XLSX, CSV and JSON exports and a diff of two 100k snapshots. Each export runs in a fresh child
 * process so its peak RSS is its own. Goals: XLSX <= 15 s and <= 400 MB RSS, CSV <= 3 s,
 * JSON <= 5 s, diff <= 3 s.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CollectedEntity } from '../src/shared/entities.js';
import { isEntity } from '../src/shared/entities.js';
import { writeFullInventory, writeInventoryDelta } from '../src/core/inventory/writer.js';
import { STORE_FILE, openStore } from '../src/core/store/sqlite.js';
import { createEventHub } from '../src/core/contract/handlers.js';
import { silentLogger } from '../src/core/logger.js';
import { createExportCapability } from '../src/core/export/capability.js';
import { diffSnapshotRefs, saveInventorySnapshot } from '../src/core/snapshots/capability.js';
import type { ExportFormat } from '../src/shared/export.js';
import { measure } from './measure.js';

const VMS = Number(process.env['BENCH_VMS'] ?? 100_000);
const HOSTS = 200;
const DATASTORES = 80;
const NETWORKS = 40;

function inventory(): CollectedEntity[] {
  const out: CollectedEntity[] = [
    { type: 'datacenter', id: 'datacenter-1', name: 'DC1', fields: {} },
  ];
  for (let c = 0; c < 10; c++) {
    out.push({
      type: 'cluster',
      id: `domain-c${c}`,
      name: `Cluster-${c}`,
      fields: { datacenterId: 'datacenter-1', hostCount: HOSTS / 10 },
    });
  }
  for (let d = 0; d < DATASTORES; d++) {
    out.push({
      type: 'datastore',
      id: `datastore-${d}`,
      name: `ds-${d}`,
      fields: {
        datacenterId: 'datacenter-1',
        type: 'VMFS',
        capacityBytes: 10 * 2 ** 40,
        freeBytes: 4 * 2 ** 40,
        accessible: true,
      },
    });
  }
  for (let n = 0; n < NETWORKS; n++) {
    out.push({
      type: 'network',
      id: `dvportgroup-${n}`,
      name: `PG-${n}`,
      fields: {
        datacenterId: 'datacenter-1',
        networkType: 'distributedPortgroup',
        switchName: 'DSwitch',
        switchId: 'dvs-1',
        vlanId: String(100 + n),
      },
    });
  }
  for (let h = 0; h < HOSTS; h++) {
    out.push({
      type: 'host',
      id: `host-${h}`,
      name: `esx${h}.corp.example`,
      fields: {
        datacenterId: 'datacenter-1',
        clusterId: `domain-c${h % 10}`,
        connectionState: 'connected',
        powerState: 'poweredOn',
        cpuSockets: 2,
        cpuCores: 32,
        cpuThreads: 64,
        cpuMhz: 2600,
        memoryBytes: 1024 * 2 ** 30,
        productName: 'VMware ESXi 8.0.2 build-22380479',
        vendor: 'Dell Inc.',
        model: 'PowerEdge R750',
      },
    });
  }
  for (let i = 0; i < VMS; i++) {
    const id = `vm-${i}`;
    const name = `app-${String(i).padStart(6, '0')}`;
    out.push({
      type: 'vm',
      id,
      name,
      fields: {
        datacenterId: 'datacenter-1',
        clusterId: `domain-c${i % 10}`,
        hostId: `host-${i % HOSTS}`,
        folderPath: '/DC1/vm/Apps',
        powerState: i % 7 === 0 ? 'poweredOff' : 'poweredOn',
        connectionState: 'connected',
        isTemplate: false,
        guestOs: 'Microsoft Windows Server 2022 (64-bit)',
        guestOsRunning: 'Microsoft Windows Server 2022 (64-bit)',
        guestHostname: `${name}.corp.example`,
        ipAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        ipAddresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
        cpuCount: 1 + (i % 8),
        coresPerSocket: 1,
        memoryMb: 1024 * (1 + (i % 16)),
        provisionedBytes: 60 * 2 ** 30,
        usedBytes: 30 * 2 ** 30,
        toolsStatus: 'toolsOk',
        toolsRunningStatus: 'guestToolsRunning',
        toolsVersion: '12352',
        hardwareVersion: 'vmx-19',
        firmware: 'efi',
        uuid: `4200${String(i).padStart(8, '0')}-0000-0000-0000-000000000000`,
        instanceUuid: `5000${String(i).padStart(8, '0')}-0000-0000-0000-000000000000`,
        vmPathName: `[ds-${i % DATASTORES}] ${name}/${name}.vmx`,
        annotation: i % 10 === 0 ? `Owner team ${i % 17}` : null,
        cdromConnected: false,
        consolidationNeeded: false,
        overallStatus: 'green',
        nicCount: 1,
        diskCount: 1,
        datastoreIds: [`datastore-${i % DATASTORES}`],
        networkIds: [`dvportgroup-${i % NETWORKS}`],
        customAttributes: { Owner: `team-${i % 17}` },
        tags: [],
        cpuUsageMhz: i % 1000,
        memoryUsageMb: i % 4000,
      },
    });
    out.push({
      type: 'vmDisk',
      id: `${id}/disk-2000`,
      name: 'Hard disk 1',
      fields: {
        vmId: id,
        label: 'Hard disk 1',
        capacityBytes: 60 * 2 ** 30,
        thin: true,
        diskMode: 'persistent',
        fileName: `[ds-${i % DATASTORES}] ${name}/${name}.vmdk`,
        datastoreId: `datastore-${i % DATASTORES}`,
        controller: 'pvscsi',
        unitNumber: 0,
      },
    });
    out.push({
      type: 'vmNic',
      id: `${id}/nic-4000`,
      name: 'Network adapter 1',
      fields: {
        vmId: id,
        label: 'Network adapter 1',
        adapterType: 'vmxnet3',
        macAddress: '00:50:56:aa:bb:cc',
        networkId: `dvportgroup-${i % NETWORKS}`,
        networkName: `PG-${i % NETWORKS}`,
        connected: true,
        startConnected: true,
        ipAddresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
      },
    });
  }
  return out;
}

async function child(dir: string, format: ExportFormat): Promise<void> {
  const store = await openStore({ file: join(dir, STORE_FILE) });
  const cap = createExportCapability({
    store,
    events: createEventHub(silentLogger()),
    log: silentLogger(),
    now: () => new Date(),
    appVersion: 'bench',
    exportsDir: join(dir, 'exports'),
  });
  const { result: r, ...m } = await measure(() =>
    cap.run({
      format,
      out: join(dir, `export.${format}`),
      where: [],
      anonymize: false,
      bom: false,
    }),
  );
  await store.close();
  process.stdout.write(JSON.stringify({ ...m, bytes: r.bytes }) + '\n');
}

async function main(): Promise<void> {
  const [mode, dirArg, fmt] = process.argv.slice(2);
  if (mode === '--child') return child(dirArg!, fmt as ExportFormat);
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-bench-export-'));
  try {
    const store = await openStore({ file: join(dir, STORE_FILE) });
    const now = new Date().toISOString();
    const ep = await store.db
      .insertInto('endpoint')
      .values({
        name: 'vc-bench',
        kind: 'vcenter',
        host: 'vc.bench.example',
        port: 443,
        username: 'bench',
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    let t = performance.now();
    const inv = inventory();
    await writeFullInventory(
      store.db,
      { entities: inv },
      { endpointId: ep.id, syncRunId: null, now: new Date() },
    );
    process.stdout.write(
      `store: ${VMS.toLocaleString('en-US')} VMs (+ a disk and a NIC each, ${inv.length.toLocaleString('en-US')} entities) written in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
    );
    await store.close();

    const self = fileURLToPath(import.meta.url);
    const results: Record<string, { ms: number; cpuMs: number; bytes: number; maxRssMb: number }> =
      {};
    for (const format of ['xlsx', 'csv', 'json'] as const) {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', self, '--child', dir, format],
        { encoding: 'utf8', maxBuffer: 1 << 20 },
      );
      results[format] = JSON.parse(out.trim().split('\n').at(-1)!) as {
        ms: number;
        cpuMs: number;
        bytes: number;
        maxRssMb: number;
      };
    }

    const s2 = await openStore({ file: join(dir, STORE_FILE) });
    t = performance.now();
    const a = await saveInventorySnapshot(s2, { label: 'bench-a' });
    const saveMs = performance.now() - t;
    // 1% of VMs change (power state and memory), 100 are removed, 100 added.
    const upserts: CollectedEntity[] = [];
    for (let i = 0; i < VMS; i += 100) {
      const vm = inv.filter(isEntity('vm')).find((e) => e.id === `vm-${i}`)!;
      upserts.push({ ...vm, fields: { powerState: 'poweredOff', memoryMb: 99_999 } });
    }
    for (let i = 0; i < 100; i++)
      upserts.push({
        type: 'vm',
        id: `vm-new-${i}`,
        name: `new-${i}`,
        fields: { powerState: 'poweredOn' },
      });
    const removals = Array.from({ length: 100 }, (_, i) => ({
      type: 'vm' as const,
      id: `vm-${i * 7 + 1}`,
    }));
    await writeInventoryDelta(
      s2.db,
      { upserts, removals },
      { endpointId: ep.id, syncRunId: null, now: new Date() },
    );
    const b = await saveInventorySnapshot(s2, { label: 'bench-b' });
    t = performance.now();
    const diff = await diffSnapshotRefs(s2, a.id, b.id);
    const diffMs = performance.now() - t;
    t = performance.now();
    const diffNow = await diffSnapshotRefs(s2, a.id, 'now');
    const diffNowMs = performance.now() - t;
    await s2.close();

    const s = diff.summary.vm!;
    const agrees = JSON.stringify(diffNow.summary) === JSON.stringify(diff.summary);
    const line = (name: string, ms: number, goal: number, extra = ''): string =>
      `${name.padEnd(28)} ${(ms / 1000).toFixed(2).padStart(6)} s  (goal <= ${goal} s) ${ms / 1000 <= goal ? 'OK' : 'OVER'}${extra}`;
    process.stdout.write(
      [
        line(
          'XLSX export',
          results['xlsx']!.ms,
          15,
          `  CPU ${(results['xlsx']!.cpuMs / 1000).toFixed(2)} s, peak RSS ${results['xlsx']!.maxRssMb.toFixed(0)} MB (goal <= 400) ${results['xlsx']!.maxRssMb <= 400 ? 'OK' : 'OVER'}, ${(results['xlsx']!.bytes / 1e6).toFixed(1)} MB`,
        ),
        line(
          'CSV export (zip, all types)',
          results['csv']!.ms,
          3,
          `  CPU ${(results['csv']!.cpuMs / 1000).toFixed(2)} s, peak RSS ${results['csv']!.maxRssMb.toFixed(0)} MB, ${(results['csv']!.bytes / 1e6).toFixed(1)} MB`,
        ),
        line(
          'JSON snapshot export',
          results['json']!.ms,
          5,
          `  CPU ${(results['json']!.cpuMs / 1000).toFixed(2)} s, peak RSS ${results['json']!.maxRssMb.toFixed(0)} MB, ${(results['json']!.bytes / 1e6).toFixed(1)} MB`,
        ),
        line(
          'diff of two 100k snapshots',
          diffMs,
          3,
          `  (vm +${s.added} -${s.removed} ~${s.changed})`,
        ),
        `${'diff snapshot vs now'.padEnd(28)} ${(diffNowMs / 1000).toFixed(2).padStart(6)} s  (captures the live inventory first; ${agrees ? 'same result' : 'DIFFERENT result'})`,
        `${'snapshot save'.padEnd(28)} ${(saveMs / 1000).toFixed(2).padStart(6)} s`,
        `bench process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
        '',
      ].join('\n'),
    );
  } finally {
    if (process.env['BENCH_KEEP']) process.stdout.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
