import { describe, expect, it } from 'vitest';
import type { InventoryQuery, QueryResult } from '../../../shared/query.js';
import { clusterUsage, endpointHealth, lastDays, loadDashboard } from './dashboard-data.js';

const NOW = new Date('2026-11-24T12:00:00Z');

describe('dashboard rules', () => {
  it('classifies endpoints: failing by the last result, stale by the last good sync', () => {
    const at = (hoursAgo: number): string =>
      new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString();
    const h = (row: Record<string, unknown>) =>
      endpointHealth({ name: 'vc', enabled: true, ...row } as never, NOW.getTime()).health;
    expect(h({ lastStatus: 'succeeded', lastSyncAt: at(1) })).toBe('healthy');
    expect(h({ lastStatus: 'failed', lastSyncAt: at(1) })).toBe('failing');
    expect(h({ lastStatus: 'succeeded', lastSyncAt: at(25) })).toBe('stale');
    expect(h({ lastStatus: null, lastSyncAt: null })).toBe('stale');
    expect(h({ enabled: false, lastStatus: 'failed', lastSyncAt: null })).toBe('disabled');
  });

  it('sums connected hosts per cluster into CPU and memory percentages, busiest first', () => {
    const host = (cluster: string | null, cpu: number, mem: number, state = 'connected') => ({
      endpoint: 'vc',
      cluster,
      connectionState: state,
      cpuMhz: 1000,
      cpuCores: 10,
      cpuUsageMhz: cpu,
      memoryBytes: 100,
      memoryUsageBytes: mem,
    });
    expect(
      clusterUsage([
        host('A', 2500, 10),
        host('A', 2500, 30),
        host('B', 9000, 50),
        host('B', 9000, 99, 'disconnected'),
        host(null, 9999, 99),
      ]),
    ).toEqual([
      { endpoint: 'vc', name: 'B', cpuPercent: 90, memoryPercent: 50 },
      { endpoint: 'vc', name: 'A', cpuPercent: 25, memoryPercent: 20 },
    ]);
  });

  it('lists the last days as contiguous local-day ranges ending today', () => {
    const days = lastDays(14, NOW);
    expect(days).toHaveLength(14);
    for (let i = 1; i < days.length; i++) expect(days[i]!.from).toBe(days[i - 1]!.to);
    expect(Date.parse(days[13]!.to)).toBeGreaterThan(NOW.getTime());
    expect(Date.parse(days[13]!.from)).toBeLessThanOrEqual(NOW.getTime());
  });
});

describe('loadDashboard', () => {
  it('sends the scope with every inventory query but the endpoint list’s tag', async () => {
    const seen: InventoryQuery[] = [];
    const query = (q: InventoryQuery): Promise<QueryResult> => {
      seen.push(q);
      const rows =
        q.kind === 'datastores' && q.limit === 10_000
          ? [
              { capacityBytes: 100, freeBytes: 25 },
              { capacityBytes: 300, freeBytes: 75 },
            ]
          : [];
      return Promise.resolve({ kind: q.kind, rows, total: rows.length || 3, fields: [] });
    };
    const data = await loadDashboard(query, { endpoint: 'vc-lab', tag: 'prod' }, NOW);
    expect(data.totals.datastoreCapacityBytes).toBe(400);
    expect(data.totals.datastoreFreeBytes).toBe(100);
    expect(data.changesByDay).toHaveLength(14);
    const endpoints = seen.filter((q) => q.kind === 'endpoints');
    expect(endpoints).toEqual([expect.objectContaining({ scope: { endpoint: 'vc-lab' } })]);
    const others = seen.filter((q) => q.kind !== 'endpoints');
    expect(others.length).toBeGreaterThan(20);
    for (const q of others) expect(q.scope).toEqual({ endpoint: 'vc-lab', tag: 'prod' });
  });
});
