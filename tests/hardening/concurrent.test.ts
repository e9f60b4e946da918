import BetterSqlite3 from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queryInventory } from '../../src/core/inventory/query.js';
import { openStore } from '../../src/core/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'infrascope-concurrent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writer(file: string, endpoint: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'tests/hardening/sync-writer-child.ts', file, '1500', endpoint, '4'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe('two processes on one store', () => {
  it('write and read at once without corruption or "database is locked"', async () => {
    const file = join(dir, 'shared.db');
    // Create the schema first, as the app would have.
    const reader = await openStore({ file });
    const both = Promise.all([writer(file, 'vc-desktop'), writer(file, 'vc-cli')]);
    // Meanwhile this process reads, as the UI does.
    let reads = 0;
    let done = false;
    void both.then(() => (done = true));
    while (!done) {
      await queryInventory(reader.db, { kind: 'vms', limit: 50 });
      reads++;
      await new Promise((r) => setTimeout(r, 20));
    }
    const results = await both;
    for (const r of results) {
      expect(r.stderr).not.toMatch(/locked|SQLITE_BUSY/i);
      expect(r.code).toBe(0);
    }
    expect(reads).toBeGreaterThan(0);
    const vms = await queryInventory(reader.db, { kind: 'vms', limit: 0 });
    expect(vms.total).toBe(3000);
    await reader.close();
    const db = new BetterSqlite3(file, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const gens = db
      .prepare('SELECT DISTINCT annotation FROM vm WHERE deleted_at IS NULL')
      .all() as { annotation: string }[];
    expect(gens).toEqual([{ annotation: 'gen-4' }]);
    db.close();
  });
});
