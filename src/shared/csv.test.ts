import { describe, expect, it } from 'vitest';
import { csvField } from './csv.js';

describe('csvField (RFC 4180)', () => {
  it('quotes a field holding a comma, a quote or a line break, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('one\ntwo')).toBe('"one\ntwo"');
    expect(csvField('one\r\ntwo')).toBe('"one\r\ntwo"');
  });

  it('leaves non-ASCII alone and empties nulls', () => {
    expect(csvField('Zürich 東京 🚀')).toBe('Zürich 東京 🚀');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
  });

  it('turns formula prefixes into text but leaves numbers', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+cmd')).toBe("'+cmd");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-x')).toBe("'-x");
    expect(csvField('=A1,B1')).toBe(`"'=A1,B1"`);
    expect(csvField('-12.5')).toBe('-12.5');
    expect(csvField(-3)).toBe('-3');
  });

  it('writes lists with semicolons, maps as JSON, booleans as words', () => {
    expect(csvField(['a', 'b'])).toBe('a;b');
    expect(csvField({ Owner: 'x, y' })).toBe('"{""Owner"":""x, y""}"');
    expect(csvField(true)).toBe('true');
  });
});
