import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { naturalKey } from './natural-key.js';

/** Byte order of the keys, as SQLite's BINARY collation compares them. */
const byKey = (a: string, b: string): number => {
  const x = naturalKey(a);
  const y = naturalKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

describe('naturalKey', () => {
  it('orders names as people read them', () => {
    const names = ['vm10', 'VM2b', 'app-10', 'vm1', 'app-9', 'vm2', 'esx01', 'esx1a', 'esx100'];
    expect([...names].sort(byKey)).toEqual([
      'app-9',
      'app-10',
      'esx01',
      'esx1a',
      'esx100',
      'vm1',
      'vm2',
      'VM2b',
      'vm10',
    ]);
  });

  it('agrees with a numeric collator on names of letters, dashes and numbers', () => {
    // The independent reference: Intl's numeric collation (case folded, numbers by value).
    const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
    // Parts alternate text and number, as names do; no leading zeros (the collator and the key
    // tie those differently, both are fine).
    const name = fc
      .array(fc.tuple(fc.constantFrom('vm', 'esx', 'app', 'Db', 'web-'), fc.nat({ max: 99999 })), {
        minLength: 1,
        maxLength: 3,
      })
      .map((parts) => parts.map(([t, n]) => `${t}${n}`).join(''));
    fc.assert(
      fc.property(name, name, (a, b) => {
        const want = Math.sign(collator.compare(a, b));
        if (want !== 0) expect(Math.sign(byKey(a, b))).toBe(want);
      }),
    );
  });

  it('keeps text without digits as its lower case', () => {
    expect(naturalKey('Datastore-Gold')).toBe('datastore-gold');
    expect(naturalKey('')).toBe('');
  });
});
