import { describe, expect, it } from 'vitest';
import type { QueryFieldInfo } from '../../../shared/query.js';
import {
  NO_QUICK,
  alertTargetOf,
  countText,
  detailTargetOf,
  pagesFor,
  parseQuantity,
  quickToFilters,
  rangeOf,
  rowKey,
  toQueryFilters,
  toTsv,
  toggleSort,
} from './table-model.js';

const POWER: QueryFieldInfo = {
  name: 'powerState',
  label: 'Power state',
  type: 'enum',
  values: ['poweredOn', 'poweredOff', 'suspended'],
};
const MEM: QueryFieldInfo = { name: 'memoryMb', label: 'Memory', type: 'number', unit: 'mb' };

describe('parseQuantity', () => {
  it('reads quantities in the column’s unit or the one typed', () => {
    expect(parseQuantity('8', 'mb')).toBe(8192);
    expect(parseQuantity('512 MiB', 'mb')).toBe(512);
    expect(parseQuantity('2 TiB', 'bytes')).toBe(2 * 1024 ** 4);
    expect(parseQuantity('1,5 GB', 'bytes')).toBe(1.5 * 1024 ** 3);
    expect(parseQuantity('2.4 GHz', 'mhz')).toBe(2400);
    expect(parseQuantity('80%', 'percent')).toBe(80);
    expect(parseQuantity('12 h', 'seconds')).toBe(43_200);
    expect(parseQuantity('4', undefined)).toBe(4);
    expect(parseQuantity('lots', 'bytes')).toBeNull();
    expect(parseQuantity('4 parsecs', 'bytes')).toBeNull();
  });
});

describe('column filters', () => {
  it('turns text, range, enum and yes/no filters into query filters', () => {
    expect(toQueryFilters({ field: 'name', kind: 'text', contains: ' web ' }, undefined)).toEqual([
      { field: 'name', op: '~', value: 'web' },
    ]);
    expect(toQueryFilters({ field: 'name', kind: 'text', contains: '  ' }, undefined)).toEqual([]);
    expect(toQueryFilters({ field: 'memoryMb', kind: 'range', min: '8', max: '' }, MEM)).toEqual([
      { field: 'memoryMb', op: '>=', value: '8192' },
    ]);
    expect(
      toQueryFilters({ field: 'memoryMb', kind: 'range', min: 'x', max: '16 GiB' }, MEM),
    ).toEqual([{ field: 'memoryMb', op: '<=', value: '16384' }]);
    expect(
      toQueryFilters({ field: 'powerState', kind: 'enum', values: ['poweredOn'] }, POWER),
    ).toEqual([{ field: 'powerState', op: '=', value: 'poweredOn' }]);
    // "On or suspended" is "not off": the engine ANDs its filters.
    expect(
      toQueryFilters(
        { field: 'powerState', kind: 'enum', values: ['poweredOn', 'suspended'] },
        POWER,
      ),
    ).toEqual([{ field: 'powerState', op: '!=', value: 'poweredOff' }]);
    expect(
      toQueryFilters({ field: 'powerState', kind: 'enum', values: POWER.values! }, POWER),
    ).toEqual([]);
    expect(toQueryFilters({ field: 'isTemplate', kind: 'bool', value: false }, undefined)).toEqual([
      { field: 'isTemplate', op: '=', value: 'false' },
    ]);
  });

  it('turns chips into filters only for fields the kind has', () => {
    const fields: QueryFieldInfo[] = [
      POWER,
      { name: 'lastSeen', label: 'Last seen', type: 'time' },
    ];
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(
      quickToFilters(
        { ...NO_QUICK, powerState: 'poweredOff', cluster: 'A', stale: true },
        fields,
        now,
      ),
    ).toEqual([
      { field: 'powerState', op: '=', value: 'poweredOff' },
      { field: 'lastSeen', op: '<', value: '2026-11-23T12:00:00.000Z' },
    ]);
    // A tag chip where the kind has tags; none where it has not.
    const tagged = [...fields, { name: 'tags', label: 'Tags', type: 'list' as const }];
    expect(quickToFilters({ ...NO_QUICK, tag: 'prod' }, tagged, now)).toEqual([
      { field: 'tags', op: '=', value: 'prod' },
    ]);
    expect(quickToFilters({ ...NO_QUICK, tag: 'prod' }, fields, now)).toEqual([]);
  });
});

describe('toggleSort', () => {
  it('sorts, flips, clears, and adds keys with shift', () => {
    expect(toggleSort([], 'name', false)).toEqual([{ field: 'name', desc: false }]);
    expect(toggleSort([{ field: 'name', desc: false }], 'name', false)).toEqual([
      { field: 'name', desc: true },
    ]);
    expect(toggleSort([{ field: 'name', desc: true }], 'name', false)).toEqual([]);
    const two = toggleSort([{ field: 'name', desc: true }], 'cpuCount', true);
    expect(two).toEqual([
      { field: 'name', desc: true },
      { field: 'cpuCount', desc: false },
    ]);
    expect(toggleSort(two, 'name', true)).toEqual([
      { field: 'name', desc: false },
      { field: 'cpuCount', desc: false },
    ]);
    expect(toggleSort(two, 'host', false)).toEqual([{ field: 'host', desc: false }]);
    const six = ['a', 'b', 'c', 'd', 'e'].reduce(
      (s, f) => toggleSort(s, f, true),
      toggleSort([], 'z', false),
    );
    expect(toggleSort(six, 'f', true)).toHaveLength(5);
  });
});

describe('rows, copy and windows', () => {
  it('keys rows by endpoint and native id', () => {
    expect(rowKey({ endpoint: 'vc1', id: 'vm-1' })).not.toBe(
      rowKey({ endpoint: 'vc2', id: 'vm-1' }),
    );
    expect(rowKey({ id: 7 })).toBe('\u00007');
  });

  it('builds TSV with a header, raw values and quoted awkward cells', () => {
    const fields: QueryFieldInfo[] = [
      { name: 'name', label: 'Name', type: 'text' },
      MEM,
      { name: 'tags', label: 'Tags', type: 'list' },
      { name: 'annotation', label: 'Notes', type: 'text' },
    ];
    const tsv = toTsv(fields, [
      { name: 'web-1', memoryMb: 4096, tags: ['prod', 'web'], annotation: 'line1\nline2 "q"' },
      { name: 'db\t1', memoryMb: null, tags: [], annotation: null },
    ]);
    expect(tsv).toBe(
      'Name\tMemory\tTags\tNotes\nweb-1\t4096\tprod, web\t"line1\nline2 ""q"""\n"db\t1"\t\t\t\n',
    );
  });

  it('counts "1,234 of 11,000 VMs" and plain totals', () => {
    expect(countText(1234, 11_000, 'VMs')).toBe('1,234 of 11,000 VMs');
    expect(countText(40, 40, 'VMs')).toBe('40 VMs');
    expect(countText(40, null, 'VMs')).toBe('40 VMs');
    expect(countText(null, 5, 'VMs')).toBe('Loading…');
    expect(countText(1, 1, 'VMs')).toBe('1 VM');
    expect(countText(1, null, 'resource pools')).toBe('1 resource pool');
    expect(countText(1, 43, 'VMs')).toBe('1 of 43 VMs');
    expect(countText(0, 0, 'hosts')).toBe('0 hosts');
  });

  it('asks for the pages in view, and a neighbour only near its edge', () => {
    expect(pagesFor(0, 30, 100, 1000)).toEqual([0]);
    expect(pagesFor(50, 80, 100, 1000)).toEqual([0, 1]);
    expect(pagesFor(210, 240, 100, 1000)).toEqual([2, 1]);
    expect(pagesFor(190, 230, 100, 1000)).toEqual([1, 2]);
    expect(pagesFor(980, 999, 100, 1000)).toEqual([9]);
    expect(pagesFor(0, 0, 100, 0)).toEqual([]);
    expect(rangeOf(9, 3)).toEqual({ start: 3, end: 9 });
  });

  it('opens the entity a row stands for', () => {
    expect(detailTargetOf('vms', { endpoint: 'vc', id: 'vm-1', name: 'a' })).toEqual({
      kind: 'vm',
      endpoint: 'vc',
      id: 'vm-1',
      name: 'a',
    });
    expect(
      detailTargetOf('snapshots', { endpoint: 'vc', id: 's-1', vmId: 'vm-2', vm: 'b' }),
    ).toMatchObject({ kind: 'vm', id: 'vm-2' });
    expect(
      detailTargetOf('changes', {
        endpoint: 'vc',
        entityType: 'host',
        entityId: 'host-1',
        name: 'h',
      }),
    ).toMatchObject({ kind: 'host', id: 'host-1' });
    expect(
      detailTargetOf('changes', { endpoint: 'vc', entityType: 'vmDisk', entityId: 'd' }),
    ).toBeNull();
    expect(detailTargetOf('resource-pools', { endpoint: 'vc', id: 'rp' })).toBeNull();
    expect(detailTargetOf('vms', { id: 'vm-1' })).toBeNull();
  });
});

describe('alertTargetOf', () => {
  it('maps rows to the alert subject they stand for', () => {
    expect(alertTargetOf('hosts', { endpoint: 'vc', id: 'host-9', name: 'esx9' })).toEqual({
      endpoint: 'vc',
      entityType: 'host',
      entityId: 'host-9',
    });
    expect(alertTargetOf('snapshots', { endpoint: 'vc', id: 'snap-1', vmId: 'vm-1' })).toEqual({
      endpoint: 'vc',
      entityType: 'snapshot',
      entityId: 'snap-1',
    });
    // A change-log row stands for the object that changed, when a rule can watch it.
    expect(
      alertTargetOf('changes', {
        endpoint: 'vc',
        id: 7,
        entityType: 'datastore',
        entityId: 'ds-1',
      }),
    ).toEqual({ endpoint: 'vc', entityType: 'datastore', entityId: 'ds-1' });
    expect(
      alertTargetOf('changes', { endpoint: 'vc', id: 8, entityType: 'vmNic', entityId: 'n-1' }),
    ).toBeNull();
    expect(alertTargetOf('networks', { endpoint: 'vc', id: 'net-1' })).toBeNull();
    expect(alertTargetOf('vms', { endpoint: null, id: 'vm-1' })).toBeNull();
  });
});
