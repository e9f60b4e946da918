import { describe, expect, it } from 'vitest';
import { endpointDocSchema, psDateToIso, psTimeSpanSeconds } from './schema.js';

describe('PowerShell JSON shapes', () => {
  it('reads DateTime as Windows PowerShell 5.1 and PowerShell 7 write it', () => {
    // JSON.parse('"\\/Date(1700000000000)\\/"') is "/Date(1700000000000)/".
    expect(psDateToIso(JSON.parse('"\\/Date(1700000000000)\\/"'))).toBe('2023-11-14T22:13:20.000Z');
    expect(psDateToIso('/Date(1700000000000+0100)/')).toBe('2023-11-14T22:13:20.000Z');
    expect(psDateToIso('/Date(-1000)/')).toBe('1969-12-31T23:59:59.000Z');
    // Get-Date output with its DisplayHint note property.
    expect(
      psDateToIso({
        value: '/Date(1700000000000)/',
        DisplayHint: 2,
        DateTime: 'Tuesday, November 14, 2023 10:13:20 PM',
      }),
    ).toBe('2023-11-14T22:13:20.000Z');
    expect(psDateToIso('2023-11-14T23:13:20.1234567+01:00')).toBe('2023-11-14T22:13:20.123Z');
    expect(psDateToIso('2023-11-14T22:13:20Z')).toBe('2023-11-14T22:13:20.000Z');
    // DateTimeKind.Unspecified: no zone; read as UTC, not as this machine's zone.
    expect(psDateToIso('2023-11-14T22:13:20')).toBe('2023-11-14T22:13:20.000Z');
    expect(psDateToIso(null)).toBeNull();
    expect(psDateToIso('yesterday')).toBeNull();
  });

  it('reads TimeSpan as an object, seconds or a "d.hh:mm:ss" string', () => {
    expect(psTimeSpanSeconds({ Ticks: 864123450000, TotalSeconds: 86412.345 })).toBe(86412.345);
    expect(psTimeSpanSeconds({ Ticks: 20_000_000 })).toBe(2);
    expect(psTimeSpanSeconds('1.02:03:04.5000000')).toBe(93784.5);
    expect(psTimeSpanSeconds('00:00:10')).toBe(10);
    expect(psTimeSpanSeconds(42)).toBe(42);
    expect(psTimeSpanSeconds('soon')).toBeNull();
  });

  it('accepts zero, one or many items (null, a bare object, an array, 5.1 {value, Count})', () => {
    const doc = (Nodes: unknown): unknown => ({
      ComputerName: 'HV01',
      Cluster: { Name: 'C', Id: 'g', Domain: null, Nodes, SharedVolumes: null },
    });
    const node = { Name: 'HV01', Id: 1, State: 'Up' };
    const nodes = (v: unknown): unknown[] => endpointDocSchema.parse(doc(v)).Cluster?.Nodes ?? [];
    expect(nodes(null)).toEqual([]);
    expect(nodes(node)).toEqual([{ ...node, Id: '1' }]);
    expect(nodes([node, node])).toHaveLength(2);
    expect(nodes({ value: [node], Count: 1 })).toHaveLength(1);
  });

  it('rejects a document whose types are wrong, saying where', () => {
    const r = endpointDocSchema.safeParse({ ComputerName: 'HV01', Cluster: { Name: 7 } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['Cluster', 'Name']);
  });
});
