/**
 * Team store benchmark (issue 16): one vcsim estate synced as K endpoints (20 names pointing at the
 * same simulator, 100,000 VMs in all by default) into a PostgreSQL team store and, in the same run,
 * into the SQLite store of a data directory. Each sync is the built CLI as a process
 * (`infrascope [--store URL] sync NAME`, timed from spawn to exit, bench/sync-command.ts), the two
 * engines taking turns endpoint by endpoint so that the machine's other work falls on both. Then
 * the store sizes, and the UI measures of `bench:ui` (bench/ui-measures.ts) against
 * `infrascope serve` over each store, in Chromium.
 *
 * The cluster is a throwaway one (tests/helpers/postgres.ts) with the durable settings a server
 * runs with (fsync, synchronous_commit, full_page_writes on) and a 256 MB cache, beside SQLite's
 * `synchronous=FULL`: the comparison is of two durable stores on one disk.
 *
 * Run: npm run build && npm run bench:team [-- --vms 100000 --endpoints 20 --verbose]
 * (or BENCH_VMS / BENCH_ENDPOINTS). Needs Debian's postgresql and chromium, and Go for vcsim.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { STORE_FILE } from '../src/core/store/sqlite.js';
import { newStoreKeyText } from '../src/core/vault/store-key.js';
import { startServe } from '../tests/e2e/fixtures.js';
import { SERVER_SETTINGS, startPostgres } from '../tests/helpers/postgres.js';
import { startVcsim } from '../tests/vcsim/launch.js';
import type { Vcsim, VcsimOptions } from '../tests/vcsim/launch.js';
import { openDriver } from '../tests/vsphere/helpers.js';
import { addCliEndpoint, processCpuMs, requireBuilt, timeCliSync } from './sync-command.js';
import type { CommandRun, SyncTarget } from './sync-command.js';
import { measureUi, median, p95, printUi } from './ui-measures.js';
import type { UiCases, UiFigures } from './ui-measures.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * vcsim's model for about `perEndpoint` VMs: 5 datacenters, each with 9 clusters of 8 hosts and
 * one standalone host; vcsim puts `vm` VMs in each cluster's and standalone host's resource pool,
 * so 5 × 10 × vm VMs (the shape of `npm run bench`, which is 5 × 11 × 200).
 */
function simModel(perEndpoint: number): VcsimOptions {
  return { dc: 5, cluster: 9, host: 8, vm: Math.max(1, Math.round(perEndpoint / 50)), ds: 4 };
}

/**
 * vcsim powers every VM on; an estate has some off and a few suspended, and the UI's power-state
 * chips need rows to show. Every 5th VM goes off and every 31st (of the rest) suspended.
 */
async function varyPowerStates(sim: Vcsim): Promise<{ off: number; suspended: number }> {
  const driver = await openDriver(sim);
  try {
    const vms = (await driver.list('VirtualMachine')).sort((a, b) => a.name.localeCompare(b.name));
    const off = vms.filter((_, i) => i % 5 === 0);
    const suspended = vms.filter((_, i) => i % 5 !== 0 && i % 31 === 0);
    const tasks = [
      ...off.map((vm) => () => driver.powerOff(vm.ref)),
      ...suspended.map((vm) => () => driver.client.runTask('SuspendVM_Task', vm.ref)),
    ];
    // Four tasks in flight: vcsim answers each in a few ms, one at a time is the slow part.
    for (let i = 0; i < tasks.length; i += 4)
      await Promise.all(tasks.slice(i, i + 4).map((t) => t()));
    return { off: off.length, suspended: suspended.length };
  } finally {
    await driver.close();
  }
}

type Engine = 'postgres' | 'sqlite';

interface EndpointRun {
  readonly name: string;
  readonly engine: Engine;
  readonly run: CommandRun;
  /** PostgreSQL's CPU over the sync (postmaster and the backends it reaped); null for SQLite. */
  readonly serverCpuMs: number | null;
  /** The 1-minute load average as the sync started (the machine is shared). */
  readonly load: number;
}

const s = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const cpu = (r: CommandRun): number | null =>
  r.userCpuMs === null || r.systemCpuMs === null ? null : r.userCpuMs + r.systemCpuMs;

async function postgresSize(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ size: string }>(
      'SELECT pg_database_size(current_database())::text AS size',
    );
    return Number(r.rows[0]!.size);
  } finally {
    await client.end();
  }
}

function sqliteSize(dataDir: string): number {
  const file = join(dataDir, STORE_FILE);
  let bytes = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      bytes += statSync(f).size;
    } catch {
      // No WAL file after a clean close.
    }
  }
  return bytes;
}

/** A few of the store's own VMs to search for, so each search has a known first hit. */
async function casesOf(url: string): Promise<UiCases> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ name: string; uuid: string | null }>(
      `SELECT name, uuid FROM vm WHERE deleted_at IS NULL AND uuid IS NOT NULL
       ORDER BY name OFFSET (SELECT count(*) / 7 FROM vm) LIMIT 3`,
    );
    const [a, b, c] = r.rows;
    if (!a || !b || !c) throw new Error('The team store holds fewer than three VMs.');
    return {
      // Prefixes of names (the table's search box matches anywhere in the searched columns).
      tableSearches: [a.name.slice(0, -1), b.name.slice(0, -2), 'DC3_C', '_H0_'],
      paletteSearches: [
        [a.name, a.name],
        [b.name, b.name],
        [c.uuid!.slice(0, 17), c.name],
      ],
    };
  } finally {
    await client.end();
  }
}

async function serveAndMeasure(dataDir: string, store: string | null, cases: UiCases) {
  // startServe passes its environment on: INFRASCOPE_STORE is how a serve is pointed at a team
  // store without a flag before the command.
  if (store) process.env['INFRASCOPE_STORE'] = store;
  const served = await startServe(dataDir, ['--no-sync']).finally(() => {
    delete process.env['INFRASCOPE_STORE'];
  });
  try {
    return await measureUi(served.url, cases);
  } finally {
    await served.stop();
  }
}

function printSyncs(runs: readonly EndpointRun[], verbose: boolean): void {
  const of = (e: Engine) => runs.filter((r) => r.engine === e);
  if (verbose) {
    console.log(
      '  endpoint  engine    wall     CLI CPU  PG CPU   peak RSS  rule pass  vcsim CPU  load',
    );
    for (const r of runs)
      console.log(
        `  ${r.name.padEnd(8)}  ${r.engine.padEnd(8)}  ${s(r.run.wallMs).padStart(7)}  ${s(cpu(r.run)).padStart(7)}  ${s(r.serverCpuMs).padStart(7)}  ${`${r.run.maxRssMb ?? '–'} MiB`.padStart(8)}  ${s(r.run.rulePassMs).padStart(9)}  ${s(r.run.vcsimCpuMs).padStart(9)}  ${r.load.toFixed(1)}`,
      );
  }
  const summary = (e: Engine): number[] => of(e).map((r) => r.run.wallMs);
  for (const e of ['postgres', 'sqlite'] as const) {
    const walls = summary(e);
    const cpus = of(e)
      .map((r) => cpu(r.run))
      .filter((c) => c !== null);
    const server = of(e)
      .map((r) => r.serverCpuMs)
      .filter((c) => c !== null);
    const rules = of(e)
      .map((r) => r.run.rulePassMs)
      .filter((c) => c !== null);
    const rss = Math.max(...of(e).map((r) => r.run.maxRssMb ?? 0));
    console.log(
      `  ${e.padEnd(8)} full sync per endpoint: median ${s(median(walls))}, p95 ${s(p95(walls))}, first ${s(walls[0]!)}, last ${s(walls.at(-1)!)}; CLI CPU median ${s(median(cpus))}${server.length ? `, server CPU median ${s(median(server))}` : ''}; rule pass median ${s(median(rules))}; peak RSS ≤ ${rss} MiB`,
    );
  }
  const ratio = median(summary('postgres')) / median(summary('sqlite'));
  console.log(`  PostgreSQL / SQLite, median wall: ${ratio.toFixed(2)}×`);
}

async function main(): Promise<void> {
  requireBuilt();
  const verbose = process.argv.includes('--verbose');
  const total = Number(arg('vms') ?? process.env['BENCH_VMS'] ?? 100_000);
  const endpoints = Number(arg('endpoints') ?? process.env['BENCH_ENDPOINTS'] ?? 20);
  const model = simModel(total / endpoints);
  const base = mkdtempSync(join(tmpdir(), 'infrascope-bench-team-'));
  const loads = [loadavg()[0]!];
  const cluster = await startPostgres({ settings: SERVER_SETTINGS });
  const sim = await startVcsim({ ...model, startTimeoutMs: 600_000 });
  try {
    const url = await cluster.createDatabase('infrascope');
    const env = { ...process.env, INFRASCOPE_LOG_LEVEL: 'info' };
    const targets: Record<Engine, SyncTarget> = {
      postgres: {
        dataDir: join(base, 'postgres-host'),
        globals: ['--store', url],
        env: { ...env, INFRASCOPE_STORE_KEY: newStoreKeyText() },
      },
      sqlite: { dataDir: join(base, 'sqlite-host'), env },
    };
    const perEndpoint = sim.counts['VirtualMachine'] ?? 0;
    const power = await varyPowerStates(sim);
    console.log(
      `Team store benchmark: ${endpoints} endpoints × ${perEndpoint.toLocaleString('en-US')} VMs = ${(endpoints * perEndpoint).toLocaleString('en-US')} VMs per store (vcsim dc=${model.dc} cluster=${model.cluster} host=${model.host} vm=${model.vm}; ${power.off} off, ${power.suspended} suspended), ${new Date().toISOString()}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    const names = Array.from(
      { length: endpoints },
      (_, i) => `vc-${String(i + 1).padStart(2, '0')}`,
    );
    for (const name of names)
      for (const target of Object.values(targets)) await addCliEndpoint(target, name, sim);

    const runs: EndpointRun[] = [];
    for (const [i, name] of names.entries()) {
      // Taking turns: whichever engine goes first in a pair, the other goes first in the next.
      const order: Engine[] = i % 2 === 0 ? ['postgres', 'sqlite'] : ['sqlite', 'postgres'];
      for (const engine of order) {
        const load = loadavg()[0]!;
        loads.push(load);
        const server0 = engine === 'postgres' ? processCpuMs(cluster.pid, true) : null;
        const run = await timeCliSync(targets[engine], name, sim);
        // The backends end with the CLI's connections; let the postmaster reap them.
        if (engine === 'postgres') await new Promise((r) => setTimeout(r, 300));
        const server1 = engine === 'postgres' ? processCpuMs(cluster.pid, true) : null;
        const serverCpuMs = server0 === null || server1 === null ? null : server1 - server0;
        runs.push({ name, engine, run, serverCpuMs, load });
        if (verbose) console.log(`  ${name} ${engine}: ${run.outcome.split('\n').at(-1)}`);
      }
    }
    printSyncs(runs, verbose);
    const pgBytes = await postgresSize(url);
    const sqliteBytes = sqliteSize(targets.sqlite.dataDir);
    console.log(
      `  store size: PostgreSQL ${mib(pgBytes)} (pg_database_size), SQLite ${mib(sqliteBytes)} (file + WAL)`,
    );

    const cases = await casesOf(url);
    const ui: [string, UiFigures][] = [];
    for (const engine of ['postgres', 'sqlite'] as const) {
      loads.push(loadavg()[0]!);
      const f = await serveAndMeasure(
        targets[engine].dataDir,
        engine === 'postgres' ? url : null,
        cases,
      );
      ui.push([engine, f]);
    }
    for (const [engine, f] of ui)
      printUi(
        `  UI over ${(endpoints * perEndpoint).toLocaleString('en-US')} VMs, ${engine === 'postgres' ? 'PostgreSQL team store' : 'SQLite store'} (headless Chromium)`,
        f,
        verbose,
      );
    loads.push(loadavg()[0]!);
    console.log(
      `  load average (1 min) over the run: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}, median ${median(loads).toFixed(1)}`,
    );
  } finally {
    await sim.stop();
    await cluster.stop();
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
