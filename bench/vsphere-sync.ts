/**
 * vSphere sync benchmark against vcsim: (a) raw transfer of the same RetrievePropertiesEx pages
 * the collector requests, bytes read and discarded; (b) collectFull (transfer + parse + map);
 * (c) peak RSS; with this process's and vcsim's CPU time; (d) the store write; (e) live updates;
 * (f) the command users run — `infrascope sync` (the built CLI: npm run build first) as a
 * process from start to exit, into an empty store and again with nothing changed, its peak RSS,
 * CPU and rule pass — beside the reference client, pyVmomi (bench/pyvmomi-read.py), reading the
 * same property paths; then the issue's goals, met or not. Run: node --import tsx bench/vsphere-sync.ts [--dc 5 --cluster 10 --host 8 --vm 200 --ds 4]
 * Flags may also come from env: BENCH_DC, BENCH_CLUSTER, BENCH_HOST, BENCH_VM, BENCH_DS, BENCH_MAX_OBJECTS.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFullInventory, writeInventoryDelta } from '../src/core/inventory/writer.js';
import { openSqliteStore as openStore } from '../src/core/store/sqlite.js';
import type { SqliteStore as Store } from '../src/core/store/sqlite.js';
import type { FullInventory } from '../src/shared/entities.js';
import { silentLogger } from '../src/core/logger.js';
import type { CollectorTarget } from '../src/core/collectors/collector.js';
import { parseObjects } from '../src/core/collectors/vsphere/client.js';
import {
  containerViewXml,
  objectSpecXml,
  propertySpecXml,
  retrieveSpecXml,
} from '../src/core/collectors/vsphere/request-xml.js';
import { arr, path, ref } from '../src/core/collectors/vsphere/vim-values.js';
import type { MoRef } from '../src/core/collectors/vsphere/vim-values.js';
import {
  createVsphereCollector,
  objectListSpecXmls,
  viewSpecXml,
  VM_SLICE,
} from '../src/core/collectors/vsphere/collector.js';
import { VIEW_TYPES } from '../src/core/collectors/vsphere/mapper.js';
import { startVcsim } from '../tests/vcsim/launch.js';
import type { Vcsim } from '../tests/vcsim/launch.js';
import { openDriver, recordWaitVersions } from '../tests/vsphere/helpers.js';
import { RawSoapSession } from './raw-soap.js';
import type { CommandRun, ReferenceRun } from './sync-command.js';
import { processCpuMs, timeReferenceClient, timeSyncCommand } from './sync-command.js';

export interface BenchOptions {
  readonly dc: number;
  readonly cluster: number;
  readonly host: number;
  readonly vm: number;
  readonly ds: number;
  readonly maxObjects: number;
  readonly vmSlice: number;
  readonly concurrency: number;
}

export interface BenchResult {
  readonly model: BenchOptions;
  readonly vcsimStartMs: number;
  readonly entities: number;
  readonly vms: number;
  readonly rawMs: number;
  /** The same requests with the VM slices two in flight, as the collector reads them. */
  readonly rawParallelMs: number;
  /** This process's CPU time for the raw transfer (TLS, HTTP, discarding). */
  readonly rawCpuMs: number;
  /** vcsim's CPU time for the raw transfer (null where /proc is not readable). */
  readonly rawVcsimCpuMs: number | null;
  readonly rawBytes: number;
  readonly rawPages: number;
  readonly collectMs: number;
  /** This process's CPU time during collectFull (user + system): what load elsewhere cannot skew. */
  readonly collectCpuMs: number;
  /** vcsim's CPU time during collectFull: with this process's, what the machine's cores carry. */
  readonly collectVcsimCpuMs: number | null;
  readonly ratio: number;
  readonly maxRssMbAfterRaw: number;
  readonly maxRssMbAfterCollect: number;
  /** The inventory, for callers that go on to time the store write. */
  readonly inventory: FullInventory;
  /** The store write of the inventory into an empty on-disk store. */
  readonly write: { readonly writeMs: number; readonly writeCpuMs: number; readonly bytes: number };
  /** Peak RSS of the whole full sync (raw transfer, collection, store write). */
  readonly maxRssMbSync: number;
  /** From a power-off request to vcsim until the store shows it, through watch (ms, each try). */
  readonly incrementalMs: readonly number[];
  /** Waits of the watch from an empty version (each one re-reads the whole inventory). */
  readonly watchFullReads: number;
  /** `infrascope sync` as a process: into an empty store, then with nothing changed. */
  readonly command: { readonly empty: CommandRun; readonly unchanged: CommandRun };
  /** The reference client (pyVmomi) reading the same property paths. */
  readonly reference: ReferenceRun;
}

export const DEFAULT_BENCH: BenchOptions = {
  dc: 5,
  cluster: 10,
  host: 8,
  vm: 200,
  ds: 4,
  maxObjects: 1000,
  vmSlice: VM_SLICE,
  concurrency: 2,
};

function cpuSince(pid: number | undefined, before: number | null): number | null {
  const now = processCpuMs(pid);
  return now === null || before === null ? null : now - before;
}

function maxRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024); // maxRSS is in KiB
}

export async function runBench(opts: Partial<BenchOptions> = {}): Promise<BenchResult> {
  const model: BenchOptions = { ...DEFAULT_BENCH, ...opts };
  const t0 = performance.now();
  const sim = await startVcsim({
    dc: model.dc,
    cluster: model.cluster,
    host: model.host,
    vm: model.vm,
    ds: model.ds,
    startTimeoutMs: 15 * 60_000,
  });
  const vcsimStartMs = performance.now() - t0;
  try {
    // (a) Raw transfer: the collector's data requests (each view; the VM view as the slices the
    // collector reads), bodies discarded unparsed (bench/raw-soap.ts). Once one request at a
    // time, once with the collector's two in flight (two sessions, one request in flight each).
    const rawTarget = {
      host: sim.host,
      port: sim.port,
      thumbprint: sim.thumbprint,
      username: sim.username,
      password: sim.password,
    };
    const lanes = [
      await RawSoapSession.open(rawTarget, 600_000),
      await RawSoapSession.open(rawTarget, 600_000),
    ];
    const client = lanes[0]!;
    let rawBytes = 0;
    let rawPages = 0;
    let rawMs = 0;
    let rawParallelMs = 0;
    let rawCpuMs = 0;
    let rawVcsimCpuMs: number | null = null;
    let apiVersion = '';
    try {
      const sc = client.serviceContent;
      apiVersion = sc.about.apiVersion;
      if (!sc.viewManager) throw new Error('vcsim has no ViewManager');
      const plan: string[] = [];
      const vmSpecs: string[] = [];
      const views: MoRef[] = [];
      for (const { types } of VIEW_TYPES) {
        const viewType = types[0] ?? 'ManagedEntity';
        const view = ref(
          await client.decoded(
            'CreateContainerView',
            sc.viewManager,
            containerViewXml(sc.rootFolder, types),
          ),
        );
        if (!view) throw new Error('CreateContainerView returned no view');
        views.push(view);
        if (viewType === 'VirtualMachine') {
          const [content] = parseObjects(
            path(
              await client.decoded(
                'RetrievePropertiesEx',
                sc.propertyCollector,
                retrieveSpecXml(propertySpecXml(view.type, ['view']) + objectSpecXml(view), 1000),
              ),
              'objects',
            ),
          );
          const refs = arr(content?.props.get('view'))
            .map((m) => ref(m))
            .filter((r): r is MoRef => r !== null);
          if (refs.length > model.vmSlice) {
            vmSpecs.push(
              ...objectListSpecXmls(sc.about.apiVersion, 'VirtualMachine', refs, model.vmSlice),
            );
            continue;
          }
        }
        plan.push(viewSpecXml(sc.about.apiVersion, viewType, view));
      }
      const readAll = async (c: RawSoapSession, spec: string): Promise<number> => {
        const read = await c.readAll(retrieveSpecXml(spec, model.maxObjects));
        rawPages += read.pages;
        return read.bytes;
      };
      const tRaw = performance.now();
      const cpuRaw = process.cpuUsage();
      const simRaw = processCpuMs(sim.pid);
      for (const spec of [...plan, ...vmSpecs]) rawBytes += await readAll(client, spec);
      rawMs = performance.now() - tRaw;
      const rawCpu = process.cpuUsage(cpuRaw);
      rawVcsimCpuMs = cpuSince(sim.pid, simRaw);
      rawCpuMs = (rawCpu.user + rawCpu.system) / 1000;
      // The same, two requests in flight (the collector's VM slices run like this).
      const tPar = performance.now();
      for (const spec of plan) await readAll(client, spec);
      let next = 0;
      await Promise.all(
        lanes.map(async (c) => {
          for (let spec = vmSpecs[next++]; spec !== undefined; spec = vmSpecs[next++])
            await readAll(c, spec);
        }),
      );
      rawParallelMs = performance.now() - tPar;
      for (const v of views) await client.decoded('DestroyView', v, '');
    } finally {
      for (const c of lanes) await c.dispose();
    }
    const maxRssMbAfterRaw = maxRssMb();

    // (b) collectFull: transfer + streaming parse + mapping.
    const target: CollectorTarget = {
      endpointId: 1,
      name: 'bench',
      kind: 'vsphere' as CollectorTarget['kind'],
      host: sim.host,
      port: sim.port,
      username: sim.username,
      password: sim.password,
      thumbprint: sim.thumbprint,
    };
    const collector = createVsphereCollector(target, {
      maxObjects: model.maxObjects,
      timeoutMs: 600_000,
      vmSlice: model.vmSlice,
      concurrency: model.concurrency,
    });
    const tCollect = performance.now();
    const cpuCollect = process.cpuUsage();
    const simCollect = processCpuMs(sim.pid);
    let inventory: FullInventory;
    try {
      inventory = await collector.collectFull({
        signal: new AbortController().signal,
        log: silentLogger(),
        progress: () => undefined,
      });
    } finally {
      await collector.dispose();
    }
    const collectMs = performance.now() - tCollect;
    const collectCpu = process.cpuUsage(cpuCollect);
    const collectVcsimCpuMs = cpuSince(sim.pid, simCollect);
    const collectCpuMs = (collectCpu.user + collectCpu.system) / 1000;
    const maxRssMbAfterCollect = maxRssMb();
    // (d) The store write, then the peak of a whole full sync (raw + collect + write).
    const write = await timeStoreWrite(inventory);
    const maxRssMbSync = maxRssMb();
    // (e) Incremental: a VM powered off in vcsim, until the store shows it (its own store and
    //     collector, so it comes after the full sync's peak is read).
    const incremental = await timeIncremental(sim, target, inventory, model);
    // (f) The command users run, as a process (its own store, after the in-process phases), and
    //     the reference client, each alone on the machine with vcsim.
    const command = await timeSyncCommand(sim);
    const reference = await timeReferenceClient(sim, apiVersion);
    return {
      model,
      vcsimStartMs,
      entities: inventory.entities.length,
      vms: inventory.entities.filter((e) => e.type === 'vm').length,
      rawMs,
      rawParallelMs,
      rawCpuMs,
      rawVcsimCpuMs,
      rawBytes,
      rawPages,
      collectMs,
      collectCpuMs,
      collectVcsimCpuMs,
      ratio: collectMs / rawMs,
      maxRssMbAfterRaw,
      maxRssMbAfterCollect,
      write,
      maxRssMbSync,
      inventory,
      incrementalMs: incremental.ms,
      watchFullReads: incremental.secondFullReads,
      command,
      reference,
    };
  } finally {
    await sim.stop();
  }
}

/**
 * (e) Live updates at this size: the inventory in a store, a collector following updates
 * (WaitForUpdatesEx) and writing each update set, then VMs powered off one at a time through a
 * second vim25 session; each time is from the power-off request until the VM's row says so.
 */
async function timeIncremental(
  sim: Vcsim,
  target: CollectorTarget,
  inventory: FullInventory,
  model: BenchOptions,
  tries = 5,
): Promise<{ ms: number[]; secondFullReads: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-bench-inc-'));
  const store = await openStore({ file: join(dir, 'bench.db') });
  const collector = createVsphereCollector(target, {
    maxObjects: model.maxObjects,
    timeoutMs: 600_000,
    vmSlice: model.vmSlice,
    concurrency: model.concurrency,
    maxWaitSeconds: 1,
  });
  const driver = await openDriver(sim);
  const abort = new AbortController();
  const ctx = { signal: abort.signal, log: silentLogger(), progress: () => undefined };
  let watching: Promise<void> | null = null;
  try {
    const endpointId = await benchEndpoint(store);
    await writeFullInventory(store.db, inventory, { endpointId, syncRunId: null, now: new Date() });
    // As the app's watch runs it: the full read is the watch's first update set.
    const versions = recordWaitVersions(collector);
    await collector.collectFull({ ...ctx, watchNext: true });
    const read = versions.length;
    watching = collector.watch!(ctx, async (delta) => {
      await writeInventoryDelta(store.db, delta, { endpointId, syncRunId: null, now: new Date() });
    });
    watching.catch(() => undefined);
    const on = inventory.entities
      .filter((e) => e.type === 'vm' && e.fields['powerState'] === 'poweredOn')
      .slice(0, tries);
    const out: number[] = [];
    for (const vm of on) {
      const t0 = performance.now();
      await driver.powerOff({ type: 'VirtualMachine', value: vm.id });
      for (;;) {
        const row = store.sqlite
          .prepare('SELECT power_state FROM vm WHERE endpoint_id = ? AND native_id = ?')
          .get(endpointId, vm.id) as { power_state: string } | undefined;
        if (row?.power_state === 'poweredOff') break;
        if (performance.now() - t0 > 120_000) throw new Error(`${vm.name} never arrived`);
        await new Promise((r) => setTimeout(r, 5));
      }
      out.push(performance.now() - t0);
    }
    return { ms: out, secondFullReads: versions.slice(read).filter((v) => v === '').length };
  } finally {
    abort.abort();
    await watching?.catch(() => undefined);
    await collector.dispose();
    await driver.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchEndpoint(store: Store): Promise<number> {
  const now = new Date().toISOString();
  const ep = await store.db
    .insertInto('endpoint')
    .values({
      name: 'bench',
      kind: 'vcenter',
      host: '127.0.0.1',
      port: 443,
      username: 'user',
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return ep.id;
}

function vcsimCpu(ms: number | null): string {
  return ms === null ? '' : `, ${ms.toFixed(0)} ms in vcsim`;
}

export function formatBench(r: BenchResult): string {
  const rows: [string, string][] = [
    [
      'model',
      `dc=${r.model.dc} cluster=${r.model.cluster} host=${r.model.host} vm=${r.model.vm} ds=${r.model.ds}`,
    ],
    ['vcsim start', `${(r.vcsimStartMs / 1000).toFixed(1)} s`],
    ['entities (vms)', `${r.entities} (${r.vms})`],
    [
      'raw transfer',
      `${r.rawMs.toFixed(0)} ms, ${(r.rawBytes / 1024 / 1024).toFixed(1)} MiB in ${r.rawPages / 2} requests, one at a time`,
    ],
    ['raw transfer CPU', `${r.rawCpuMs.toFixed(0)} ms in this process${vcsimCpu(r.rawVcsimCpuMs)}`],
    ['raw, 2 in flight', `${r.rawParallelMs.toFixed(0)} ms (VM slices two at a time)`],
    [
      'collectFull',
      `${r.collectMs.toFixed(0)} ms (${r.collectCpuMs.toFixed(0)} ms CPU in this process${vcsimCpu(r.collectVcsimCpuMs)})`,
    ],
    ['collect / raw', `${r.ratio.toFixed(2)}x`],
    ['collect / raw 2-flight', `${(r.collectMs / r.rawParallelMs).toFixed(2)}x`],
    ['peak RSS after raw', `${r.maxRssMbAfterRaw} MiB`],
    ['peak RSS after collect', `${r.maxRssMbAfterCollect} MiB`],
    [
      'incremental (1 VM)',
      `${r.incrementalMs.map((x) => x.toFixed(0)).join(', ')} ms from power-off to the store (goal ≤ 1000 ms)`,
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

const verdict = (ok: boolean | null): string => (ok === null ? '?' : ok ? 'met' : 'NOT met');
const ms = (x: number | null): string => (x === null ? '?' : `${x.toFixed(0)} ms`);

/** One `infrascope sync` process: wall time, where it went, CPU and memory. */
function commandLine(c: CommandRun): string {
  const cpu =
    c.userCpuMs === null || c.systemCpuMs === null
      ? ''
      : `; CPU ${(c.userCpuMs + c.systemCpuMs).toFixed(0)} ms (user ${c.userCpuMs.toFixed(0)}, sys ${c.systemCpuMs.toFixed(0)})${vcsimCpu(c.vcsimCpuMs)}`;
  return `${ms(c.wallMs)} start to exit (outcome printed at ${ms(c.outcomeMs)}, reports ${ms(c.reportedMs)}, rule pass ${ms(c.rulePassMs)})${cpu}; peak RSS ${c.maxRssMb ?? '?'} MiB`;
}

/** The figures of the command users run against the issue's goals. */
export function formatCommand(r: BenchResult): string {
  const { empty, unchanged } = r.command;
  const ref = r.reference;
  const ratio = (a: number, b: number | null): number | null => (b ? a / b : null);
  const emptyRaw = ratio(empty.wallMs, r.rawMs);
  const sameRaw = ratio(unchanged.wallMs, r.rawMs);
  const vsRef = ratio(empty.wallMs, ref.ms);
  const rss = Math.max(empty.maxRssMb ?? 0, unchanged.maxRssMb ?? 0) || null;
  const rules = Math.max(empty.rulePassMs ?? 0, unchanged.rulePassMs ?? 0);
  const x = (v: number | null): string => (v === null ? '?' : `${v.toFixed(2)}x`);
  const rows: [string, string][] = [
    ['infrascope sync (empty)', commandLine(empty)],
    ['infrascope sync (same)', commandLine(unchanged)],
    [
      'reference (pyVmomi)',
      ref.missing !== null
        ? `not measured: ${ref.missing}`
        : `${ms(ref.ms)} for ${ref.objects} objects (${ms(ref.cpuMs)} CPU in python${vcsimCpu(ref.vcsimCpuMs)})`,
    ],
    [
      'goal sync/raw ≤ 1.5x',
      `${x(emptyRaw)} (2 in flight: ${x(ratio(empty.wallMs, r.rawParallelMs))}) ${verdict(emptyRaw === null ? null : emptyRaw <= 1.5)}`,
    ],
    [
      'goal same/raw ≤ 1.2x',
      `${x(sameRaw)} (2 in flight: ${x(ratio(unchanged.wallMs, r.rawParallelMs))}) ${verdict(sameRaw === null ? null : sameRaw <= 1.2)}`,
    ],
    ['goal sync/ref ≤ 0.15x', `${x(vsRef)} ${verdict(vsRef === null ? null : vsRef <= 0.15)}`],
    ['goal peak RSS ≤ 300 MB', `${rss ?? '?'} MiB ${verdict(rss === null ? null : rss <= 300)}`],
    ['goal rule pass ≤ 0.3 s', `${rules} ms ${verdict(rules <= 300)}`],
    [
      'goal no 2nd full read',
      `${r.watchFullReads} waits from an empty version once the watch started ${verdict(r.watchFullReads === 0)}`,
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

function parseArgs(argv: readonly string[]): Partial<BenchOptions> {
  const out: Record<string, number> = {};
  const keys = [
    'dc',
    'cluster',
    'host',
    'vm',
    'ds',
    'maxObjects',
    'vmSlice',
    'concurrency',
  ] as const;
  for (const k of keys) {
    const env = process.env[`BENCH_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`];
    if (env) out[k] = Number(env);
    const i = argv.indexOf(`--${k}`);
    const v = i >= 0 ? argv[i + 1] : undefined;
    if (v !== undefined) out[k] = Number(v);
  }
  return out;
}

/**
 * (d) The store write of the same inventory into an empty on-disk store, one transaction with the
 * change log, so "full sync" = collectFull + write is compared with the raw transfer.
 */
async function timeStoreWrite(
  inventory: FullInventory,
): Promise<{ writeMs: number; writeCpuMs: number; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-bench-'));
  try {
    const store = await openStore({ file: join(dir, 'bench.db') });
    const endpointId = await benchEndpoint(store);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await writeFullInventory(store.db, inventory, {
      endpointId,
      syncRunId: null,
      now: new Date(),
    });
    const writeMs = performance.now() - t0;
    const c1 = process.cpuUsage(c0);
    const writeCpuMs = (c1.user + c1.system) / 1000;
    await store.close();
    return { writeMs, writeCpuMs, bytes: statSync(join(dir, 'bench.db')).size };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runBench(parseArgs(process.argv.slice(2)));
  process.stdout.write(formatBench(r) + '\n');
  const w = r.write;
  const full = r.collectMs + w.writeMs;
  process.stdout.write(
    [
      `store write            ${w.writeMs.toFixed(0)} ms (${w.writeCpuMs.toFixed(0)} ms CPU, ${(w.bytes / 1024 / 1024).toFixed(1)} MiB database)`,
      `collect + write        ${full.toFixed(0)} ms (in-process parts, not the command)`,
      `collect + write / raw  ${(full / r.rawMs).toFixed(2)}x`,
      `peak RSS (full sync)   ${r.maxRssMbSync} MiB`,
      `peak RSS (whole run)   ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB (with the incremental phase's second store and collector)`,
    ].join('\n') + '\n',
  );
  process.stdout.write(formatCommand(r) + '\n');
}
