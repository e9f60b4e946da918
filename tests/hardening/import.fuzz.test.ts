import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkJson, checkXlsx, hostileJson, hostileSheet } from './import-fuzz.js';

// A fixed seed and a bounded count in the suite; `npm run fuzz` runs many more with a fresh seed.
const runs = Number(process.env['FUZZ_RUNS'] ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'infrascope-import-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the import readers under hostile input', () => {
  it('the JSON snapshot reader reads what JSON.parse reads, and refuses the rest with an AppError', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(hostileJson, async (text) => {
        seen.add(await checkJson(dir, text));
      }),
      { seed: 20261203, numRuns: runs },
    );
    // The sample reached both outcomes.
    expect(seen).toContain('read');
    expect(seen).toContain('VALIDATION');
  });

  it('the XLSX reader reads or refuses random worksheets with an AppError', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(hostileSheet, async (sheet) => {
        seen.add(await checkXlsx(dir, sheet));
      }),
      { seed: 20261203, numRuns: runs },
    );
    expect(seen).toContain('read');
    expect(seen).toContain('IMPORT_INVALID');
  });
});
