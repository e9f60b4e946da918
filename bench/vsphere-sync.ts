/**
 * vSphere sync benchmark against vcsim: (a) raw transfer of the same RetrievePropertiesEx pages
 * the collector requests, bytes read and discarded; (b) collectFull (transfer + parse + map);
 * (c) peak RSS. Run: node --import tsx bench/vsphere-sync.ts [--dc 5 --cluster 10 --host 8 --vm 200 --ds 4]
 * Flags may also come from env: BENCH_DC, BENCH_CLUSTER, BENCH_HOST, BENCH_VM, BENCH_DS, BENCH_MAX_OBJECTS.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFullInventory } from '../src/core/inventory/writer.js';
import { openStore } from '../src/core/store/sqlite.js';
import type { FullInventory } from '../src/shared/entities.js';
import { silentLogger } from '../src/core/logger.js';
import type { CollectorTarget } from '../src/core/collectors/collector.js';
import { VimClient } from '../src/core/collectors/vsphere/client.js';
import { textXml, path, str } from '../src/core/collectors/vsphere/codec.js';
import type { VimValue } from '../src/core/collectors/vsphere/codec.js';
import { createVsphereCollector, viewSpecXml } from '../src/core/collectors/vsphere/collector.js';
import { VIEW_TYPES } from '../src/core/collectors/vsphere/mapper.js';
import { startVcsim } from '../tests/vcsim/launch.js';

export interface BenchOptions {
  readonly dc: number;
  readonly cluster: number;
  readonly host: number;
  readonly vm: number;
  readonly ds: number;
  readonly maxObjects: number;
}

export interface BenchResult {
  readonly model: BenchOptions;
  readonly vcsimStartMs: number;
  readonly entities: number;
  readonly vms: number;
  readonly rawMs: number;
  readonly rawBytes: number;
  readonly rawPages: number;
  readonly collectMs: number;
  readonly ratio: number;
  readonly maxRssMbAfterRaw: number;
  readonly maxRssMbAfterCollect: number;
  /** The inventory, for callers that go on to time the store write. */
  readonly inventory: FullInventory;
}

export const DEFAULT_BENCH: BenchOptions = {
  dc: 5,
  cluster: 10,
  host: 8,
  vm: 200,
  ds: 4,
  maxObjects: 1000,
};

function maxRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024); // maxRSS is in KiB
}

/** Reads a discard-mode call result: byte count and the paging token (if any). */
function discarded(v: VimValue): { bytes: number; token: string | null } {
  const bytes = path(v, 'bytes');
  return { bytes: typeof bytes === 'number' ? bytes : 0, token: str(path(v, 'token')) };
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
    // (a) Raw transfer: the collector's requests, bodies discarded unparsed.
    const client = new VimClient({
      host: sim.host,
      port: sim.port,
      thumbprint: sim.thumbprint,
      username: sim.username,
      password: sim.password,
      timeoutMs: 600_000,
    });
    let rawBytes = 0;
    let rawPages = 0;
    const tRaw = performance.now();
    try {
      await client.login();
      const sc = client.serviceContent;
      for (const { types } of VIEW_TYPES) {
        const view = await client.createContainerView(sc.rootFolder, types);
        const spec = viewSpecXml(sc.about.apiVersion, types[0] ?? 'ManagedEntity', view);
        let page = discarded(
          await client.call(
            'RetrievePropertiesEx',
            sc.propertyCollector,
            `<specSet>${spec}</specSet><options>${textXml('maxObjects', model.maxObjects)}</options>`,
            { discard: true },
          ),
        );
        rawBytes += page.bytes;
        rawPages++;
        while (page.token) {
          page = discarded(
            await client.call(
              'ContinueRetrievePropertiesEx',
              sc.propertyCollector,
              textXml('token', page.token),
              {
                discard: true,
              },
            ),
          );
          rawBytes += page.bytes;
          rawPages++;
        }
        await client.destroyView(view);
      }
    } finally {
      await client.dispose();
    }
    const rawMs = performance.now() - tRaw;
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
    });
    const tCollect = performance.now();
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
    return {
      model,
      vcsimStartMs,
      entities: inventory.entities.length,
      vms: inventory.entities.filter((e) => e.type === 'vm').length,
      rawMs,
      rawBytes,
      rawPages,
      collectMs,
      ratio: collectMs / rawMs,
      maxRssMbAfterRaw,
      maxRssMbAfterCollect: maxRssMb(),
      inventory,
    };
  } finally {
    await sim.stop();
  }
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
      `${r.rawMs.toFixed(0)} ms, ${(r.rawBytes / 1024 / 1024).toFixed(1)} MiB in ${r.rawPages} pages`,
    ],
    ['collectFull', `${r.collectMs.toFixed(0)} ms`],
    ['collect / raw', `${r.ratio.toFixed(2)}x`],
    ['peak RSS after raw', `${r.maxRssMbAfterRaw} MiB`],
    ['peak RSS after collect', `${r.maxRssMbAfterCollect} MiB`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

function parseArgs(argv: readonly string[]): Partial<BenchOptions> {
  const out: Record<string, number> = {};
  const keys = ['dc', 'cluster', 'host', 'vm', 'ds', 'maxObjects'] as const;
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
): Promise<{ writeMs: number; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-bench-'));
  try {
    const store = await openStore({ file: join(dir, 'bench.db') });
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
    const t0 = performance.now();
    await writeFullInventory(store.db, inventory, {
      endpointId: ep.id,
      syncRunId: null,
      now: new Date(),
    });
    const writeMs = performance.now() - t0;
    await store.close();
    return { writeMs, bytes: statSync(join(dir, 'bench.db')).size };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runBench(parseArgs(process.argv.slice(2)));
  process.stdout.write(formatBench(r) + '\n');
  const w = await timeStoreWrite(r.inventory);
  const full = r.collectMs + w.writeMs;
  process.stdout.write(
    [
      `store write            ${w.writeMs.toFixed(0)} ms (${(w.bytes / 1024 / 1024).toFixed(1)} MiB database)`,
      `full sync              ${full.toFixed(0)} ms (collect + write)`,
      `full sync / raw        ${(full / r.rawMs).toFixed(2)}x`,
      `peak RSS (whole run)   ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
    ].join('\n') + '\n',
  );
}
