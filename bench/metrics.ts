/**
 * Metrics budget: a year of 10,000 VMs polled every 5 minutes, at default retention (raw 7 days,
 * hourly 90 days, daily 2 years — so a year keeps 365 days of daily rows).
 *
 * What would remain after a year is generated directly, in the order the app writes it (time,
 * then series), into a store opened and migrated by the app. Then it measures:
 *   - the store size (after a WAL checkpoint),
 *   - a 30-day chart read for one entity (the `metrics:series` code path),
 *   - one background pass over 10,000 entities: drain an hour of polls from the writer's inbox,
 *     roll the hour (and the day) up, prune what aged out.
 *
 * Budget (issue 7): < 2 GB, ≤ 20 ms, ≤ 2 s.  Run: npm run bench:metrics [-- --vms N]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { drainSamples, metricsPass, prune, rollupClosed } from '../src/core/metrics/rollup.js';
import { DAY, DEFAULT_RETENTION, HOUR } from '../src/core/metrics/rollup.js';
import { readSeries } from '../src/core/metrics/series.js';
import { openSqliteStore as openStore } from '../src/core/store/sqlite.js';
import { evaluateEndpoint } from '../src/core/alerts/engine.js';
import { capacityReport } from '../src/core/capacity/report.js';
import { writeFullInventory } from '../src/core/inventory/writer.js';
import type { CollectedEntity } from '../src/shared/entities.js';

const { values } = parseArgs({
  options: { vms: { type: 'string', default: '10000' }, keep: { type: 'boolean', default: false } },
});
const VMS = Number(values.vms);
const POLL = 300;
const out = (s: string): void => void process.stdout.write(s + '\n');
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

const dir = mkdtempSync(join(tmpdir(), 'infrascope-bench-metrics-'));
const file = join(dir, 'infrascope.db');
const store = await openStore({ file });
const db = store.sqlite;
// Generation only: the app keeps synchronous=FULL and SQLite's default 2 MB page cache, which
// are restored before anything is measured; the data volume here is what matters.
db.pragma('synchronous = OFF');
const defaultCache = db.pragma('cache_size', { simple: true }) as number;
db.pragma('cache_size = -1000000');

const nowS = Math.floor(Date.parse('2027-01-01T00:20:00Z') / 1000);
const iso = new Date().toISOString();
db.prepare(
  `INSERT INTO endpoint (id, name, kind, host, port, username, created_at, updated_at)
   VALUES (1, 'vc', 'vcenter', 'vc.example.test', 443, 'u', ?, ?)`,
).run(iso, iso);

// Deterministic pseudo-random load.
let seed = 42;
const rnd = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const GIB = 2 ** 30;
const MIB = 2 ** 20;
const vmMem = Array.from({ length: VMS }, () => (2 + Math.floor(rnd() * 14)) * GIB);
const vmDisk = Array.from({ length: VMS }, () => (40 + Math.floor(rnd() * 200)) * GIB);

const t0 = performance.now();
const insSeries = db.prepare(
  "INSERT INTO metric_series (id, endpoint_id, entity_type, entity_id) VALUES (?, 1, 'vm', ?)",
);
db.transaction(() => {
  for (let i = 0; i < VMS; i++) insSeries.run(i + 1, `vm-${1000 + i}`);
})();

const insRollup = (table: string): ((...a: unknown[]) => void) => {
  const st = db.prepare(
    `INSERT INTO ${table} (series_id, t, n, cpu_avg, cpu_max, mem_avg, mem_max, su_avg, su_max, sc_max)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
  );
  return (...a) => st.run(...a);
};
// Memory and storage are stored in whole MiB, as the drain writes them.
const rollupRow = (ins: (...a: unknown[]) => void, i: number, t: number, n: number): void => {
  const cpu = Math.round(rnd() * 2000);
  const mem = Math.round(((vmMem[i] ?? GIB) * (0.2 + rnd() * 0.3)) / MIB);
  const disk = Math.round((vmDisk[i] ?? GIB) / MIB);
  ins(i + 1, t, n, cpu, cpu + Math.round(rnd() * 1500), mem, mem + 64, disk, disk);
};

// Daily: 365 days before the current day.
const today = Math.floor(nowS / DAY) * DAY;
const daily = insRollup('metric_daily');
for (let d = 365; d >= 1; d--) {
  db.transaction(() => {
    for (let i = 0; i < VMS; i++) rollupRow(daily, i, today - d * DAY, 288);
  })();
}
const tDaily = performance.now();
out(
  `generated ${(365 * VMS).toLocaleString()} daily rows in ${((tDaily - t0) / 1000).toFixed(1)} s`,
);

// Hourly: 90 days of closed hours up to the last closed hour.
const lastClosed = Math.floor(nowS / HOUR) * HOUR - HOUR;
const hourly = insRollup('metric_hourly');
const hours = DEFAULT_RETENTION.hourlyDays * 24;
for (let h = hours - 1; h >= 0; h -= 24) {
  db.transaction(() => {
    for (let k = h; k > h - 24 && k >= 0; k--) {
      for (let i = 0; i < VMS; i++) rollupRow(hourly, i, lastClosed - k * HOUR, 12);
    }
  })();
}
const tHourly = performance.now();
out(
  `generated ${(hours * VMS).toLocaleString()} hourly rows in ${((tHourly - tDaily) / 1000).toFixed(1)} s`,
);

// Raw: 7 days of polls plus the hour that is about to age out (the pass prunes it), up to the
// end of the last closed hour. The open hour's polls go to the writer's inbox below.
const insRaw = db.prepare(
  'INSERT INTO metric_raw (t, series_id, cpu, mem, su, sc) VALUES (?, ?, ?, ?, ?, NULL)',
);
const insTick = db.prepare('INSERT INTO metric_tick (endpoint_id, t) VALUES (1, ?)');
const rawFrom = lastClosed - DEFAULT_RETENTION.rawDays * DAY - HOUR;
let rawRows = 0;
for (let t = rawFrom; t < lastClosed + HOUR; t += POLL * 12) {
  db.transaction(() => {
    for (let p = t; p < t + POLL * 12; p += POLL) {
      insTick.run(p);
      for (let i = 0; i < VMS; i++) {
        insRaw.run(
          p,
          i + 1,
          Math.round(rnd() * 3000),
          Math.round(((vmMem[i] ?? GIB) * 0.3) / MIB),
          Math.round((vmDisk[i] ?? GIB) / MIB),
        );
        rawRows++;
      }
    }
  })();
}
// The last closed hour has raw data but no hourly row yet: the pass rolls it up.
db.prepare('DELETE FROM metric_hourly WHERE t = ?').run(lastClosed);
db.prepare("INSERT INTO metric_dirty (grain, t) VALUES ('hour', ?)").run(lastClosed);
const tRaw = performance.now();
out(`generated ${rawRows.toLocaleString()} raw rows in ${((tRaw - tHourly) / 1000).toFixed(1)} s`);

db.pragma('synchronous = FULL');
db.pragma(`cache_size = ${defaultCache}`);
db.pragma('wal_checkpoint(TRUNCATE)');
const size = statSync(file).size;
out('');
out(
  `store size after a simulated year (${VMS.toLocaleString()} VMs, 5-min polls): ${mb(size)}  (budget < 2048 MB)`,
);
for (const t of ['metric_raw', 'metric_hourly', 'metric_daily']) {
  const r = db.prepare(`SELECT sum(pgsize) AS b FROM dbstat WHERE name = ?`).get(t) as
    { b: number } | undefined;
  if (r) out(`  ${t.padEnd(14)} ${mb(r.b)}`);
}

// 30-day chart reads for random entities.
const now = new Date(nowS * 1000);
const times: number[] = [];
for (let k = 0; k < 50; k++) {
  const i = Math.floor(rnd() * VMS);
  const s = performance.now();
  const series = await readSeries(
    store.db,
    { endpointId: 1, entityType: 'vm', entityId: `vm-${1000 + i}` },
    '30d',
    now,
  );
  times.push(performance.now() - s);
  if (series.points.length < 700)
    throw new Error(`expected ~720 points, got ${series.points.length}`);
}
const first30 = times[0];
times.sort((a, b) => a - b);
out(
  `30-day chart read (one entity, ~720 points): median ${times[25]?.toFixed(2)} ms, p95 ${times[47]?.toFixed(2)} ms, max ${times.at(-1)?.toFixed(2)} ms (first read ${first30?.toFixed(2)} ms)  (budget ≤ 20 ms)`,
);

// 24-hour charts read raw points through the endpoint's poll times (the raw table is time-major).
const dayTimes: number[] = [];
for (let k = 0; k < 50; k++) {
  const i = Math.floor(rnd() * VMS);
  const s0 = performance.now();
  const day = await readSeries(
    store.db,
    { endpointId: 1, entityType: 'vm', entityId: `vm-${1000 + i}` },
    '24h',
    now,
  );
  dayTimes.push(performance.now() - s0);
  if (day.points.length < 280) throw new Error(`expected ~288 points, got ${day.points.length}`);
}
dayTimes.sort((a, b) => a - b);
out(
  `24-hour chart read (one entity, ~288 raw points): median ${dayTimes[25]?.toFixed(2)} ms, p95 ${dayTimes[47]?.toFixed(2)} ms, max ${dayTimes.at(-1)?.toFixed(2)} ms`,
);

// One poll lands in the writer's inbox (10,000 samples), as a sync would write it.
const insSample = db.prepare(
  `INSERT INTO sample (endpoint_id, entity_type, entity_id, at, cpu_mhz, memory_bytes, storage_used_bytes, storage_capacity_bytes)
   VALUES (1, 'vm', ?, ?, ?, ?, ?, NULL)`,
);
const pollAt = new Date((lastClosed + HOUR + 5 * 60) * 1000).toISOString();
db.transaction(() => {
  for (let i = 0; i < VMS; i++)
    insSample.run(
      `vm-${1000 + i}`,
      pollAt,
      Math.round(rnd() * 3000),
      vmMem[i] ?? GIB,
      vmDisk[i] ?? GIB,
    );
})();

let s = performance.now();
const drained = await drainSamples(store.db);
const drainMs = performance.now() - s;
s = performance.now();
const rolled = await rollupClosed(store.db, now);
const rollMs = performance.now() - s;
s = performance.now();
const pruned = await prune(store.db, now, DEFAULT_RETENTION);
const pruneMs = performance.now() - s;
out(
  `drain one poll (${drained.toLocaleString()} samples from the inbox): ${drainMs.toFixed(0)} ms`,
);
out(
  `roll up ${rolled.hours} hour(s) + ${rolled.days} day(s) over ${VMS.toLocaleString()} entities: ${rollMs.toFixed(0)} ms`,
);
out(
  `prune ${pruned.toLocaleString()} aged-out rows over ${VMS.toLocaleString()} entities: ${pruneMs.toFixed(0)} ms`,
);
out(`rollup pass total: ${(drainMs + rollMs + pruneMs).toFixed(0)} ms  (budget ≤ 2000 ms)`);
// A second pass with nothing to do costs little (the timer runs it every 5 minutes).
const idle = await metricsPass(store.db, { now });
out(`idle pass: ${idle.ms} ms`);

// Rule evaluation over the same 10,000 VMs as inventory: the first pass raises, the next one
// (what runs after every sync) mostly confirms.
const entities: CollectedEntity[] = [
  {
    type: 'host',
    id: 'host-1',
    name: 'esx1',
    fields: { connectionState: 'connected', inMaintenance: false, cpuCores: 64, cpuMhz: 2600 },
  },
  {
    type: 'datastore',
    id: 'ds-1',
    name: 'ds1',
    fields: { capacityBytes: 100 * 2 ** 40, freeBytes: 30 * 2 ** 40 },
  },
];
for (let i = 0; i < VMS; i++) {
  entities.push({
    type: 'vm',
    id: `vm-${1000 + i}`,
    name: `vm-${1000 + i}`,
    fields: {
      hostId: 'host-1',
      powerState: i % 10 === 0 ? 'poweredOff' : 'poweredOn',
      cpuCount: 2,
      toolsStatus: i % 20 === 1 ? 'toolsNotRunning' : 'toolsOk',
      cdromConnected: i % 10 === 2,
      datastoreIds: ['ds-1'],
    },
  });
}
await writeFullInventory(store.db, { entities }, { endpointId: 1, syncRunId: null, now });
s = performance.now();
const first = await evaluateEndpoint(store.db, 1, { now });
const firstMs = performance.now() - s;
s = performance.now();
const second = await evaluateEndpoint(store.db, 1, { now: new Date(now.getTime() + 300_000) });
const secondMs = performance.now() - s;
out(
  `rule evaluation over ${VMS.toLocaleString()} VMs: first ${firstMs.toFixed(0)} ms (${first.raised} raised), next ${secondMs.toFixed(0)} ms (${second.open} open)`,
);

s = performance.now();
const report = await capacityReport(store.db, { now });
out(
  `capacity report over ${VMS.toLocaleString()} VMs with a year of history: ${(performance.now() - s).toFixed(0)} ms (${report.oversizedVms.length} oversized, ${report.idleVms.length} idle)`,
);

await store.close();
if (!values.keep) rmSync(dir, { recursive: true, force: true });
else out(`kept ${file}`);
