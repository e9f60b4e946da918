import { describe, expect, it } from 'vitest';
import { columnLetters, excelDate, xmlText } from './xlsx-writer.js';

describe('xlsx writer helpers', () => {
  it('names columns as spreadsheets do', () => {
    expect([0, 25, 26, 51, 52, 701, 702].map(columnLetters)).toEqual([
      'A',
      'Z',
      'AA',
      'AZ',
      'BA',
      'ZZ',
      'AAA',
    ]);
  });

  it('escapes XML and drops characters XML cannot carry', () => {
    expect(xmlText('a<b & "c">')).toBe('a&lt;b &amp; &quot;c&quot;&gt;');
    expect(xmlText('bell\u0007 tab\t nul\u0000')).toBe('bell tab\t nul');
    expect(xmlText('pair 🚀 lone \ud800 end')).toBe('pair 🚀 lone  end');
    expect(xmlText('x'.repeat(40_000))).toHaveLength(32_767);
  });

  it("converts times to Excel's serial days (1900 system, UTC)", () => {
    expect(excelDate('1900-03-01T00:00:00Z')).toBe(61);
    expect(excelDate('2026-11-24T12:00:00Z')).toBe(46350.5);
    expect(excelDate('not a date')).toBeNull();
  });
});
