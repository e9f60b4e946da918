import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC_FILE, rvtoolsColumnsDoc } from '../../scripts/rvtools-columns.js';

describe('docs/rvtools-columns.md', () => {
  it('is the table the export writes (run `npm run docs:rvtools` after changing a column)', () => {
    expect(readFileSync(DOC_FILE, 'utf8')).toBe(rvtoolsColumnsDoc());
  });
});
