import { describe, expect, it } from 'vitest';
import {
  MAX_WIDTH,
  MIN_WIDTH,
  defaultLayout,
  moveColumn,
  parseLayout,
  resizeColumn,
  serializeLayout,
  toggleColumn,
} from './table-layout.js';

const base = defaultLayout(['name', 'powerState', 'host']);

describe('table layout', () => {
  it('round-trips through storage', () => {
    const l = {
      ...resizeColumn(base, 'host', 300),
      density: 'comfortable' as const,
      sort: [{ field: 'name', desc: true }],
    };
    expect(parseLayout(serializeLayout(l), null, base)).toEqual(l);
  });

  it('falls back on missing, foreign or damaged data', () => {
    expect(parseLayout(null, null, base)).toBe(base);
    expect(parseLayout('{oops', null, base)).toBe(base);
    expect(parseLayout(JSON.stringify({ v: 99, columns: [] }), null, base)).toBe(base);
  });

  it('drops unknown or duplicate columns and clamps widths', () => {
    const text = JSON.stringify({
      v: 1,
      columns: [
        { name: 'name', width: 5 },
        { name: 'gone', width: 100 },
        { name: 'name', width: 100 },
        { name: 'host', width: 1e9 },
      ],
      density: 'weird',
      sort: [{ field: 'gone', desc: true }, { field: 'host', desc: false }, { nonsense: 1 }],
    });
    expect(parseLayout(text, ['name', 'host', 'powerState'], base)).toEqual({
      columns: [
        { name: 'name', width: MIN_WIDTH },
        { name: 'host', width: MAX_WIDTH },
      ],
      density: 'compact',
      sort: [{ field: 'host', desc: false }],
    });
  });

  it('moves, hides and shows columns, keeping at least one', () => {
    expect(moveColumn(base, 'host', 0).columns.map((c) => c.name)).toEqual([
      'host',
      'name',
      'powerState',
    ]);
    expect(moveColumn(base, 'name', 99).columns.map((c) => c.name)).toEqual([
      'powerState',
      'host',
      'name',
    ]);
    const hidden = toggleColumn(base, 'powerState');
    expect(hidden.columns.map((c) => c.name)).toEqual(['name', 'host']);
    expect(toggleColumn(hidden, 'powerState').columns.map((c) => c.name)).toEqual([
      'name',
      'host',
      'powerState',
    ]);
    const one = defaultLayout(['name']);
    expect(toggleColumn(one, 'name')).toBe(one);
  });
});
