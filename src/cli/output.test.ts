import { describe, expect, it } from 'vitest';
import { inert } from './output.js';

describe('inert terminal text', () => {
  it.each([
    [
      'OSC 52 (writes the clipboard), BEL-terminated',
      'vm\u001b]52;c;cm0gLXJmIC8=\u0007-01',
      'vm-01',
    ],
    ['OSC 52, ST-terminated', 'vm\u001b]52;c;cm0gLXJmIC8=\u001b\\-01', 'vm-01'],
    ['a window title', '\u001b]0;owned\u0007web-01', 'web-01'],
    ['colours and cursor moves', '\u001b[31mred\u001b[0m\u001b[2J\u001b[1;1H', 'red'],
    ['8-bit CSI and OSC', 'a\u009b31mb\u009d0;t\u009cc', 'abc'],
    ['a DCS string', 'a\u001bPq#0;2;0;0;0\u001b\\b', 'ab'],
    ['two-character escapes', 'a\u001bcb\u001b7c', 'abc'],
    ['C0, DEL and C1 controls', 'a\u0000b\u0008c\u007fd\u0085e', 'abcde'],
    ['bidirectional overrides', 'invoice\u202efdp.exe', 'invoicefdp.exe'],
    ['a bare carriage return (overwrites the line)', 'good\rEVIL', 'goodEVIL'],
    ['a lone ESC at the end', 'name\u001b', 'name'],
  ])('removes %s', (_what, text, expected) => {
    expect(inert(text)).toBe(expected);
  });

  it('keeps text, tabs, newlines, CRLF line ends and non-ASCII', () => {
    const text = 'Name\tCPUs\r\nvm-ü-01\t4\n日本語 ✓\n';
    expect(inert(text)).toBe(text);
  });

  it("keeps the progress line's own carriage return and erase-line, and nothing else", () => {
    expect(inert('\r\u001b[K[##--] 2/4 vc1\u001b]52;c;eA==\u0007', { progress: true })).toBe(
      '\r\u001b[K[##--] 2/4 vc1',
    );
    expect(inert('\r\u001b[K', {})).toBe('');
  });
});
