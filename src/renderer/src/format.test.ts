import { describe, expect, it } from 'vitest';
import type { QueryFieldInfo } from '../../shared/query.js';
import { formatBytes, formatCell, formatDelivery, formatMhz, formatRelative } from './format.js';
import {
  ageDays,
  exactTime,
  isStale,
  snapshotTone,
  stateLabel,
  usageRatio,
  usageTone,
} from './components/cell-format.js';

const field = (extra: Partial<QueryFieldInfo>): QueryFieldInfo => ({
  name: 'x',
  label: 'X',
  type: 'number',
  ...extra,
});

describe('units', () => {
  it('formats bytes in binary units and MHz/GHz', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(200 * 2 ** 30)).toBe('200 GiB');
    expect(formatBytes(3.5 * 2 ** 40)).toBe('3.5 TiB');
    expect(formatMhz(950)).toBe('950 MHz');
    expect(formatMhz(41_600)).toBe('41.60 GHz');
  });

  it('formats cells by unit and type, as plain text', () => {
    expect(formatCell(field({ unit: 'mb' }), 8192)).toBe('8.0 GiB');
    expect(formatCell(field({ unit: 'percent' }), 42.25)).toBe('42.3 %');
    expect(formatCell(field({ unit: 'seconds' }), 3 * 86400 + 5)).toBe('3 d');
    expect(formatCell(field({ type: 'bool' }), true)).toBe('Yes');
    expect(formatCell(field({ type: 'list' }), ['a', 'b'])).toBe('a, b');
    expect(formatCell(field({ type: 'text' }), '<b>x</b>')).toBe('<b>x</b>');
    expect(formatCell(field({}), null)).toBe('');
  });

  it('writes relative times both ways', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(formatRelative('2026-11-24T11:59:30Z', now)).toBe('30 s ago');
    expect(formatRelative('2026-11-24T09:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2026-11-14T12:00:00Z', now)).toBe('10 d ago');
    expect(formatRelative('2026-11-24T12:05:00Z', now)).toBe('in 5 min');
  });
});

describe('status cells', () => {
  it('gives every state an icon and a word, never colour alone', () => {
    expect(stateLabel('poweredOn')).toEqual({ label: 'On', tone: 'ok', icon: '●' });
    expect(stateLabel('notResponding').tone).toBe('danger');
    expect(stateLabel('somethingNew')).toMatchObject({ label: 'somethingNew' });
  });

  it('says the exact time behind a relative one', () => {
    expect(exactTime('2026-11-24T07:12:05.000Z')).toContain('(2026-11-24T07:12:05.000Z)');
    expect(exactTime('not a time')).toBe('not a time');
  });

  it('ages snapshots and flags stale inventory', () => {
    const now = Date.parse('2026-11-24T00:00:00Z');
    expect(ageDays('2026-11-14T00:00:00Z', now)).toBe(10);
    expect(snapshotTone(3)).toBe('ok');
    expect(snapshotTone(10)).toBe('warn');
    expect(snapshotTone(45)).toBe('danger');
    expect(isStale('2026-11-22T00:00:00Z', now)).toBe(true);
    expect(isStale('2026-11-23T12:00:00Z', now)).toBe(false);
    expect(isStale(null, now)).toBe(false);
  });

  it('computes the used fraction behind resource bars', () => {
    expect(
      usageRatio('hosts', 'cpuUsageMhz', { cpuUsageMhz: 5200, cpuMhz: 2600, cpuCores: 4 }),
    ).toBe(0.5);
    expect(usageRatio('hosts', 'memoryUsageBytes', { memoryUsageBytes: 3, memoryBytes: 4 })).toBe(
      0.75,
    );
    expect(usageRatio('datastores', 'usedPercent', { usedPercent: 92 })).toBe(0.92);
    expect(usageRatio('vms', 'usedBytes', { usedBytes: 5, provisionedBytes: 0 })).toBeNull();
    expect(usageRatio('vms', 'name', { name: 'x' })).toBeNull();
    expect(usageTone(0.5)).toBe('ok');
    expect(usageTone(0.8)).toBe('warn');
    expect(usageTone(0.95)).toBe('danger');
  });
});

describe('formatDelivery', () => {
  const base = {
    id: 1,
    webhookId: 1,
    alertId: null,
    at: '2026-11-10T08:00:00.000Z',
    durationMs: 12,
  };
  it('says how a webhook delivery went', () => {
    expect(
      formatDelivery({ ...base, status: 'delivered', attempts: 1, httpStatus: 200, error: null }),
    ).toBe('Delivered · HTTP 200 · 1 attempt · 12 ms');
    expect(
      formatDelivery({
        ...base,
        status: 'failed',
        attempts: 3,
        httpStatus: null,
        error: 'timed out after 5000 ms',
      }),
    ).toBe('Failed · 3 attempts · 12 ms · timed out after 5000 ms');
  });
});
