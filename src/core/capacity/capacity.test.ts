import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectedEntity, UsageSample } from '../../shared/entities.js';
import { fitLine, forecastFull, median } from './forecast.js';
import { capacityReport } from './report.js';
import { writeFullInventory, writeSamples } from '../inventory/writer.js';
import { metricsPass } from '../metrics/rollup.js';
import type { Store } from '../store/sqlite.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, addEndpoint, openTestStore } from '../../../tests/helpers/store.js';

afterAll(stopSharedPostgres);

describe('forecast maths', () => {
  it('fits an exact line with R² = 1', () => {
    expect(
      fitLine([
        [0, 1],
        [1, 3],
        [2, 5],
        [3, 7],
      ]),
    ).toEqual({ slope: 2, intercept: 1, r2: 1, n: 4 });
  });

  it('matches a textbook least-squares example', () => {
    // x = 1..5, y = 2, 4, 5, 4, 5: slope 0.6, intercept 2.2, R² = 0.6.
    const f = fitLine([
      [1, 2],
      [2, 4],
      [3, 5],
      [4, 4],
      [5, 5],
    ]);
    expect(f!.slope).toBeCloseTo(0.6, 12);
    expect(f!.intercept).toBeCloseTo(2.2, 12);
    expect(f!.r2).toBeCloseTo(0.6, 12);
  });

  it('gives low confidence to noise and none to a single point', () => {
    const noisy = fitLine([
      [0, 10],
      [1, -10],
      [2, 10],
      [3, -10],
      [4, 10],
      [5, -10],
    ]);
    expect(noisy!.r2).toBeLessThan(0.2);
    expect(fitLine([[1, 1]])).toBeNull();
    expect(
      fitLine([
        [1, 1],
        [1, 2],
      ]),
    ).toBeNull();
  });

  it('forecasts days until full from the fitted line, not the last point', () => {
    // 100 a day from 0; capacity 1000; today is day 5 → the line is at 500: 5 days left.
    const peaks = [0, 1, 2, 3, 4, 5].map((d) => [d, d * 100] as const);
    expect(forecastFull(peaks, 1000, 5)).toEqual({
      growthPerDay: 100,
      daysUntilFull: 5,
      r2: 1,
      n: 6,
    });
    // Shrinking or flat: no date.
    expect(
      forecastFull(
        [
          [0, 5],
          [1, 4],
          [2, 3],
        ],
        10,
        2,
      )?.daysUntilFull,
    ).toBeNull();
    expect(
      forecastFull(
        [
          [0, 5],
          [1, 5],
          [2, 5],
        ],
        10,
        2,
      ),
    ).toMatchObject({ daysUntilFull: null, r2: 1 });
    // Too little history.
    expect(
      forecastFull(
        [
          [0, 5],
          [1, 6],
        ],
        10,
        1,
      ),
    ).toBeNull();
    // Already past capacity on the line: 0 days.
    expect(
      forecastFull(
        [
          [0, 900],
          [1, 1000],
          [2, 1100],
        ],
        1000,
        2,
      )?.daysUntilFull,
    ).toBe(0);
  });

  it('takes medians of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});

describe.each(ENGINES)('capacity report (%s store)', (engine) => {
  let store: Store;
  let ep: number;
  const now = new Date('2026-11-30T12:00:00Z');
  const GIB = 2 ** 30;
  beforeEach(async () => {
    store = await openTestStore(engine);
    ep = await addEndpoint(store.db);
  });
  afterEach(async () => {
    await store.close();
  });

  it('computes N+1 headroom, idle and oversized VMs, datastore forecasts and reclaimable snapshots', async () => {
    const host = (id: string, cores: number, memGiB: number, usage: number): CollectedEntity => ({
      type: 'host',
      id,
      name: id,
      fields: {
        clusterId: 'c1',
        connectionState: 'connected',
        inMaintenance: false,
        cpuCores: cores,
        cpuMhz: 2000,
        memoryBytes: memGiB * GIB,
        cpuUsageMhz: usage,
      },
    });
    const vm = (
      id: string,
      cpus: number,
      memMb: number,
      usage: number,
      extra: Record<string, unknown> = {},
    ): CollectedEntity => ({
      type: 'vm',
      id,
      name: id,
      fields: {
        clusterId: 'c1',
        hostId: 'h1',
        powerState: 'poweredOn',
        isTemplate: false,
        cpuCount: cpus,
        memoryMb: memMb,
        cpuUsageMhz: usage,
        ...extra,
      },
    });
    const entities: CollectedEntity[] = [
      { type: 'cluster', id: 'c1', name: 'Cluster A', fields: {} },
      // Three hosts of 20,000 MHz and 256 GiB; N+1 leaves 40,000 MHz and 512 GiB.
      host('h1', 10, 256, 6000),
      host('h2', 10, 256, 2000),
      host('h3', 10, 256, 2000),
      vm('idle', 4, 4096, 50),
      vm('busy', 2, 8192, 3000),
      vm('big', 8, 16384, 1000),
      vm('mid', 2, 8192, 1000, { powerState: 'poweredOff' }),
      {
        type: 'datastore',
        id: 'ds1',
        name: 'ds1',
        fields: { capacityBytes: 1000 * GIB, freeBytes: 400 * GIB },
      },
      {
        type: 'snapshot',
        id: 's-old',
        name: 'old',
        fields: { vmId: 'busy', createdAt: '2026-11-01T00:00:00Z', sizeBytes: 5 * GIB },
      },
      {
        type: 'snapshot',
        id: 's-new',
        name: 'new',
        fields: { vmId: 'busy', createdAt: '2026-11-29T00:00:00Z', sizeBytes: GIB },
      },
      {
        type: 'snapshot',
        id: 's-orphan',
        name: 'orphan',
        fields: { vmId: 'vm-gone', createdAt: '2026-11-29T00:00:00Z', sizeBytes: 2 * GIB },
      },
    ];
    await writeFullInventory(store.db, { entities }, { endpointId: ep, syncRunId: null, now });

    // 20 days of hourly samples: idle ~1 % of 8,000 MHz; big peaks at 3,000 of 16,000 MHz;
    // busy peaks at 3,500 of 4,000. ds1 grows 10 GiB a day up to 600 GiB today.
    const samples: UsageSample[] = [];
    for (let h = 20 * 24; h >= 1; h--) {
      const at = new Date(now.getTime() - h * 3_600_000).toISOString();
      samples.push({
        entityType: 'vm',
        entityId: 'idle',
        at,
        cpuMhz: 60 + (h % 3) * 10,
        memoryBytes: GIB,
      });
      samples.push({
        entityType: 'vm',
        entityId: 'big',
        at,
        cpuMhz: h % 24 === 0 ? 3000 : 800,
        memoryBytes: 2 * GIB,
      });
      samples.push({
        entityType: 'vm',
        entityId: 'busy',
        at,
        cpuMhz: h % 24 === 0 ? 3500 : 2000,
        memoryBytes: 4 * GIB,
      });
      // Days before today (UTC), so each day's peak lies on one line.
      const day = Math.round(
        (Date.parse(now.toISOString().slice(0, 10)) - Date.parse(at.slice(0, 10))) / 86_400_000,
      );
      samples.push({
        entityType: 'datastore',
        entityId: 'ds1',
        at,
        storageUsedBytes: (600 - 10 * day) * GIB,
        storageCapacityBytes: 1000 * GIB,
      });
    }
    await writeSamples(store.db, ep, samples);
    await metricsPass(store.db, { now });

    const r = await capacityReport(store.db, { now });
    expect(r.clusters).toEqual([
      {
        endpointId: ep,
        clusterId: 'c1',
        name: 'Cluster A',
        hosts: 3,
        cpuCapacityMhz: 40_000,
        memoryCapacityBytes: 512 * GIB,
        cpuUsedMhz: 10_000,
        // Powered-on VMs' configured memory: 4 + 8 + 16 GiB.
        memoryUsedBytes: 28 * GIB,
        medianVmCpuMhz: 1000,
        medianVmMemoryBytes: 8 * GIB,
        // CPU: 30,000 / 1,000 = 30; memory: 484 / 8 = 60.
        vmsThatFit: 30,
        limitedBy: 'cpu',
      },
    ]);
    expect(r.idleVms.map((v) => v.vmId)).toEqual(['idle']);
    expect(r.idleVms[0]!.days).toBeGreaterThanOrEqual(14);
    expect(r.oversizedVms.map((v) => v.vmId)).toEqual(['big']);
    expect(r.oversizedVms[0]!.peakCpuShare).toBeCloseTo(3000 / 16_000, 6);

    const [ds] = r.datastores;
    expect(ds).toMatchObject({ datastoreId: 'ds1', usedPercent: 60, confidence: 1 });
    expect(ds!.growthBytesPerDay).toBeCloseTo(10 * GIB, -3);
    // Today's peak (day start) is 600 GiB; at noon the line is at 605: 395 GiB at 10 a day.
    expect(ds!.daysUntilFull).toBeCloseTo(39.5, 6);
    expect(ds!.historyDays).toBe(21);

    expect(r.snapshots.map((s) => [s.snapshotId, s.orphaned])).toEqual([
      ['s-old', false],
      ['s-orphan', true],
    ]);
    expect(r.reclaimableSnapshotBytes).toBe(7 * GIB);
  });
});
