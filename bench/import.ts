/**
 * `npm run bench:import`: an RVTools-shaped workbook of N VMs (default 100,000; `BENCH_VMS`),
 * written by SheetJS with RVTools' vInfo/vHost/vDatastore/vCluster/vMetaData headers and a vDisk
 * and vNetwork sheet of N rows each (a disk and an adapter per VM), is imported as a read-only snapshot
 * into a file-backed store. The import runs in a fresh child process, so its peak RSS is its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import XLSX from 'xlsx';
import { STORE_FILE, openStore } from '../src/core/store/sqlite.js';
import { importSnapshotFile } from '../src/core/snapshots/upload.js';
import { RVTOOLS_HEADERS } from '../tests/export/rvtools-reference.js';
import { measure } from './measure.js';

const VMS = Number(process.env['BENCH_VMS'] ?? 100_000);
const HOSTS = 200;
const DATASTORES = 80;
const CLUSTERS = 10;
const SERVER = 'vc1.corp.example';

/** A sheet with RVTools' headers, each row's values by header name (others left empty). */
function sheet(name: string, n: number, row: (i: number) => Record<string, unknown>): unknown[][] {
  const headers = RVTOOLS_HEADERS[name]!;
  const out: unknown[][] = [[...headers]];
  for (let i = 0; i < n; i++) {
    const r = row(i);
    out.push(headers.map((h) => r[h] ?? null));
  }
  return out;
}

function writeWorkbook(file: string): void {
  const vm = (i: number): string => `app-${String(i).padStart(6, '0')}`;
  const sheets: Record<string, unknown[][]> = {
    vInfo: sheet('vInfo', VMS, (i) => ({
      VM: vm(i),
      Powerstate: i % 7 === 0 ? 'poweredOff' : 'poweredOn',
      Template: 'False',
      'DNS Name': `${vm(i)}.corp.example`,
      'Connection state': 'connected',
      CPUs: 1 + (i % 8),
      Memory: 1024 * (1 + (i % 16)),
      NICs: 1,
      Disks: 1,
      'Primary IP Address': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      'Provisioned MiB': 61_440,
      'In Use MiB': 30_720,
      Path: `[ds-${i % DATASTORES}] ${vm(i)}/${vm(i)}.vmx`,
      Annotation: i % 10 === 0 ? `Owner team ${i % 17}` : null,
      Datacenter: 'DC1',
      Cluster: `Cluster-${i % CLUSTERS}`,
      Host: `esx${i % HOSTS}.corp.example`,
      'OS according to the configuration file': 'Microsoft Windows Server 2022 (64-bit)',
      'OS according to the VMware Tools': 'Microsoft Windows Server 2022 (64-bit)',
      'VM ID': `vm-${i}`,
      'VM UUID': `5000${String(i).padStart(8, '0')}-0000-0000-0000-000000000000`,
      'SMBIOS UUID': `4200${String(i).padStart(8, '0')}-0000-0000-0000-000000000000`,
      'VI SDK Server': SERVER,
    })),
    vDisk: sheet('vDisk', VMS, (i) => ({
      VM: vm(i),
      Disk: 'Hard disk 1',
      'Disk Key': 2000,
      'Capacity MiB': 61_440,
      'VM ID': `vm-${i}`,
      'VI SDK Server': SERVER,
    })),
    vNetwork: sheet('vNetwork', VMS, (i) => ({
      VM: vm(i),
      'NIC label': 'Network adapter 1',
      Network: `PG-${i % 40}`,
      'Mac Address': `00:50:56:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      'VM ID': `vm-${i}`,
      'VI SDK Server': SERVER,
    })),
    vCluster: sheet('vCluster', CLUSTERS, (i) => ({
      Name: `Cluster-${i}`,
      NumHosts: HOSTS / CLUSTERS,
      'HA enabled': 'True',
      'VI SDK Server': SERVER,
    })),
    vHost: sheet('vHost', HOSTS, (i) => ({
      Host: `esx${i}.corp.example`,
      Datacenter: 'DC1',
      Cluster: `Cluster-${i % CLUSTERS}`,
      '# CPU': 2,
      '# Cores': 64,
      '# Memory': 1_048_576,
      'ESX Version': 'VMware ESXi 8.0.2 build-22380479',
      'VI SDK Server': SERVER,
    })),
    vDatastore: sheet('vDatastore', DATASTORES, (i) => ({
      Name: `ds-${i}`,
      Type: 'VMFS',
      'Capacity MiB': 10_485_760,
      'Free MiB': 4_194_304,
      'VI SDK Server': SERVER,
    })),
    vMetaData: sheet('vMetaData', 1, () => ({
      'RVTools major version': 4,
      Server: SERVER,
      'xlsx creation datetime': '2026-01-15 08:00:00',
    })),
  };
  const wb = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets)) {
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), name);
  }
  XLSX.writeFile(wb, file, { compression: true });
}

async function child(dir: string, file: string): Promise<void> {
  const store = await openStore({ file: join(dir, STORE_FILE) });
  let progress = 0;
  const { result: info, ...m } = await measure(() =>
    importSnapshotFile(store, file, { name: 'bench.xlsx', onProgress: () => void progress++ }),
  );
  await store.close();
  process.stdout.write(JSON.stringify({ ...m, counts: info.counts, progress }) + '\n');
}

const [mode, dirArg, fileArg] = process.argv.slice(2);
if (mode === '--child') {
  await child(dirArg!, fileArg!);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-bench-import-'));
  try {
    const file = join(dir, 'rvtools.xlsx');
    const t = performance.now();
    if (mode === '--write') {
      writeWorkbook(fileArg!);
      process.exit(0);
    }
    // SheetJS holds the whole workbook while writing: its own process, so the import's RSS is clean.
    const self = fileURLToPath(import.meta.url);
    execFileSync(process.execPath, ['--import', 'tsx', self, '--write', dir, file], {
      stdio: 'inherit',
    });
    const mib = statSync(file).size / 2 ** 20;
    process.stdout.write(
      `workbook: ${VMS.toLocaleString('en-US')} VMs, ${mib.toFixed(1)} MiB, written in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
    );
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', dir, file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      ms: number;
      cpuMs: number;
      counts: Record<string, number>;
      progress: number;
      maxRssMb: number;
    };
    process.stdout.write(
      `import: ${(r.ms / 1000).toFixed(2)} s wall, ${(r.cpuMs / 1000).toFixed(2)} s CPU, peak RSS ${r.maxRssMb.toFixed(0)} MB, ${r.progress} progress reports, counts ${JSON.stringify(r.counts)}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
