import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import { STORE_FILE } from './sqlite.js';

const posix = process.platform !== 'win32';
const modeOf = (p: string): number => statSync(p).mode & 0o777;

let parent: string;
let dir: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'infrascope-modes-'));
  dir = join(parent, 'data');
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

describe.runIf(posix)('the data directory is private', () => {
  it('is created 0700 with the store and its -wal/-shm 0600', async () => {
    // A umask that would make everything world-readable: the core must not rely on it.
    const umask = process.umask(0o022);
    try {
      const h = await makeCore({ dir, memory: false });
      await h.call('snapshots:save', { label: 'x' });
      expect(modeOf(dir)).toBe(0o700);
      for (const f of [STORE_FILE, `${STORE_FILE}-wal`, `${STORE_FILE}-shm`]) {
        expect(modeOf(join(dir, f))).toBe(0o600);
      }
      await h.close();
    } finally {
      process.umask(umask);
    }
  });

  it('corrects loosened modes at start (store, log, backups, exports, key) and warns', async () => {
    // A store from an earlier run; then files left open to others (older versions, a copy).
    const first = await makeCore({ dir, memory: false });
    await first.close();
    mkdirSync(join(dir, 'backups'), { mode: 0o755 });
    mkdirSync(join(dir, 'exports'), { mode: 0o777 });
    chmodSync(join(dir, 'exports'), 0o777);
    const files = ['infrascope.log', 'vault.key', 'backups/store-1.db', 'exports/vms.csv'];
    for (const f of files) {
      writeFileSync(join(dir, f), 'x');
      chmodSync(join(dir, f), 0o644);
    }
    chmodSync(join(dir, STORE_FILE), 0o644);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'notes.txt'), 'x');
    chmodSync(join(dir, 'notes.txt'), 0o644);

    const h = await makeCore({ dir, memory: false });
    try {
      expect(modeOf(dir)).toBe(0o700);
      expect(modeOf(join(dir, 'backups'))).toBe(0o700);
      expect(modeOf(join(dir, 'exports'))).toBe(0o700);
      for (const f of [...files, STORE_FILE]) expect(modeOf(join(dir, f))).toBe(0o600);
      const warned = h.logs.filter((l) => l.includes('made private')).join('\n');
      expect(warned).toContain(join(dir, STORE_FILE));
      expect(warned).toContain('"from":"0644"');
      expect(warned).toContain(join(dir, 'exports'));
      // What is not ours (another program's file in the same folder) is left as it was.
      expect(modeOf(join(dir, 'notes.txt'))).toBe(0o644);
    } finally {
      await h.close();
    }
  });
});
