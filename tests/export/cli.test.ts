import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as exportRun } from '../../src/cli/commands/export.js';
import { run as snapshotRun } from '../../src/cli/commands/snapshot.js';
import { runCli } from '../../src/cli/main.js';
import type { ExportProgressEvent, SnapshotDiff } from '../../src/shared/export.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { cliContext } from '../doubles/cli-context.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, sampleInventory, testStoreLocation } from '../helpers/store.js';
import { fillStore, richInventory } from './fixtures.js';
import { parseCsv } from './zip-reader.js';

afterAll(stopSharedPostgres);

function leftovers(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir).filter((f) => f.includes('.partial') || f.startsWith('out'))
    : [];
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => (o += c.toString()));
  err.on('data', (c: Buffer) => (e += c.toString()));
  const code = await runCli(argv, {
    out,
    err,
    stdin: Readable.from([]),
    isTTY: false,
    env: {},
    signal: new AbortController().signal,
  });
  return { code, out: o, err: e };
}

describe.each(ENGINES)('on a %s store', (engine) => {
  let h: CoreHarness;
  /** The PostgreSQL store's URL (undefined: the data directory's SQLite file). */
  let store: string | undefined;

  beforeEach(async () => {
    store = await testStoreLocation(engine);
    h = await makeCore({ memory: false, store });
  });

  afterEach(async () => {
    await h.close();
  });

  describe('export failures leave nothing behind', () => {
    it('a folder that does not exist fails clearly', async () => {
      await fillStore(h.core.store.db);
      const dir = join(h.dir, 'missing', 'deeper');
      await expect(
        h.call('export:run', { format: 'xlsx', out: join(dir, 'out.xlsx') }),
      ).rejects.toMatchObject({
        code: 'EXPORT_FAILED',
        message: `Cannot write to ${dir}: the folder does not exist`,
      });
      expect(existsSync(join(h.dir, 'missing'))).toBe(false);
    });

    it('a path through a file fails clearly', async () => {
      await fillStore(h.core.store.db);
      writeFileSync(join(h.dir, 'plain-file'), 'x');
      await expect(
        h.call('export:run', { format: 'csv', out: join(h.dir, 'plain-file', 'out.zip') }),
      ).rejects.toMatchObject({
        code: 'EXPORT_FAILED',
        message: expect.stringContaining('not a folder'),
      });
    });

    it('a folder that refuses new files fails clearly', async () => {
      await fillStore(h.core.store.db);
      // /proc refuses new files to every user, root included.
      await expect(
        h.call('export:run', { format: 'json', out: '/proc/infrascope-export.json.gz' }),
      ).rejects.toMatchObject({
        code: 'EXPORT_FAILED',
        message: expect.stringMatching(/^Cannot write to \/proc: /),
      });
    });

    it('a cancelled export removes its temp file and reports cancelled', async () => {
      const endpointId = (
        await h.core.store.db
          .insertInto('endpoint')
          .values({
            name: 'big',
            kind: 'vcenter',
            host: 'big.example.test',
            port: 443,
            username: 'u',
            created_at: '2026-01-01',
            updated_at: '2026-01-01',
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
      await writeFullInventory(
        h.core.store.db,
        { entities: sampleInventory(5000) },
        { endpointId, syncRunId: null, now: new Date() },
      );
      const dir = mkdtempSync(join(tmpdir(), 'infrascope-cancel-'));
      const events: ExportProgressEvent[] = [];
      let asked = false;
      const off = h.core.events.subscribe((event, payload) => {
        if (event !== 'export:progress') return;
        const p = payload as ExportProgressEvent;
        events.push(p);
        if (!asked && p.phase === 'vInfo') {
          asked = true;
          void h.call('export:cancel', { exportId: 'cancel-me' });
        }
      });
      await expect(
        h.call('export:run', { format: 'xlsx', out: join(dir, 'out.xlsx'), exportId: 'cancel-me' }),
      ).rejects.toMatchObject({ code: 'CANCELLED' });
      off();
      expect(readdirSync(dir)).toEqual([]);
      expect(events.at(-1)).toMatchObject({ exportId: 'cancel-me', state: 'cancelled' });
      expect(await h.call('export:cancel', { exportId: 'cancel-me' })).toEqual({
        cancelled: false,
      });
    });
  });

  describe('infrascope export', () => {
    it('exits non-zero with a clear message on an unwritable folder, and leaves no file', async () => {
      await fillStore(h.core.store.db);
      const dir = h.dir;
      await h.close();
      const target = join(dir, 'nope', 'out.xlsx');
      const where = store === undefined ? [] : ['--store', store];
      const r = await cli([
        '--data-dir',
        dir,
        ...where,
        'export',
        '--format',
        'xlsx',
        '--out',
        target,
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        `infrascope: Cannot write to ${join(dir, 'nope')}: the folder does not exist [EXPORT_FAILED]\n`,
      );
      expect(r.out).toBe('');
      expect(existsSync(join(dir, 'nope'))).toBe(false);
      h = await makeCore({ memory: false, dir, store });
    });

    it('writes the file, prints its path, shows progress, and filters VMs', async () => {
      await fillStore(h.core.store.db, richInventory());
      const c = cliContext(h.core);
      const out = join(h.dir, 'off.csv');
      const code = await exportRun(c.ctx, [
        '--format',
        'csv',
        '--type',
        'vm',
        '--where',
        'powerState=poweredOff',
        '--out',
        out,
      ]);
      expect(code).toBe(0);
      expect(c.out()).toBe(`${out}\n`);
      expect(c.err()).toMatch(/^vm 0\/\d+\n/);
      expect(c.err()).toMatch(/Wrote [\d,]+ bytes in [\d.]+ s \(vm \d+\)\n$/);
      const rows = parseCsv(readFileSync(out, 'utf8'));
      const off = await h.call('inventory:query', {
        kind: 'vms',
        where: [{ field: 'powerState', op: '=', value: 'poweredOff' }],
      });
      expect(
        rows
          .slice(1)
          .map((r) => r[2])
          .sort(),
      ).toEqual(off.rows.map((r) => r['name']).sort());
      expect(off.total).toBeGreaterThan(0);
      expect(leftovers(h.dir).filter((f) => f.includes('.partial'))).toEqual([]);
    });

    it('draws a progress bar on a terminal', async () => {
      await fillStore(h.core.store.db);
      const c = cliContext(h.core, { isTTY: true });
      expect(await exportRun(c.ctx, ['--format', 'xlsx', '--out', join(h.dir, 'tty.xlsx')])).toBe(
        0,
      );
      expect(c.err()).toMatch(/\r\[#*-*\] +\d+% \w+ [\d,]+\/[\d,]+/);
    });

    it('refuses a bad format or type with a usage error', async () => {
      const c = cliContext(h.core);
      await expect(exportRun(c.ctx, ['--format', 'pdf'])).rejects.toMatchObject({
        code: 'VALIDATION',
      });
      await expect(exportRun(c.ctx, ['--format', 'csv', '--type', 'vms'])).rejects.toMatchObject({
        code: 'VALIDATION',
      });
    });
  });

  describe('infrascope snapshot', () => {
    it('saves, lists and diffs (A and B by id, label or now)', async () => {
      const base = richInventory();
      const endpointId = await fillStore(h.core.store.db, base);
      let c = cliContext(h.core);
      expect(await snapshotRun(c.ctx, ['save', '--label', 'monday'])).toBe(0);
      expect(c.out()).toMatch(/^Saved snapshot 1 "monday": .*vm 13/);
      const renamed = base.map((e) => (e.id === 'vm-5' ? { ...e, name: 'app-005-new' } : e));
      await writeFullInventory(
        h.core.store.db,
        { entities: renamed },
        { endpointId, syncRunId: null, now: new Date() },
      );

      c = cliContext(h.core);
      expect(await snapshotRun(c.ctx, ['list'])).toBe(0);
      expect(c.out()).toMatch(/^ID +Created \(UTC\) +Label/);
      expect(c.out()).toMatch(/\n1 +\S+ \S+ +monday +local +manual +13 +2 +vc1\n$/);

      c = cliContext(h.core);
      expect(await snapshotRun(c.ctx, ['diff', 'monday', 'now'])).toBe(0);
      expect(c.out()).toContain('  vm           +0 -0 ~1\n');
      expect(c.out()).toContain('~ vm app-005-new [vc1 vm-5]\n    name: app-005 -> app-005-new\n');

      c = cliContext(h.core);
      expect(await snapshotRun(c.ctx, ['diff', '1', 'now', '--json'])).toBe(0);
      const diff = JSON.parse(c.out()) as SnapshotDiff;
      expect(diff.entries).toEqual([
        {
          type: 'vm',
          endpoint: 'vc1',
          id: 'vm-5',
          name: 'app-005-new',
          change: 'changed',
          fields: [{ field: 'name', old: 'app-005', new: 'app-005-new' }],
        },
      ]);

      c = cliContext(h.core);
      await expect(snapshotRun(c.ctx, ['diff', 'monday'])).rejects.toMatchObject({
        code: 'VALIDATION',
      });
    });
  });

  describe('infrascope snapshot import and export of a snapshot', () => {
    it('imports a JSON export read-only and exports it again as a workbook', async () => {
      await fillStore(h.core.store.db);
      const json = join(h.dir, 'site.json.gz');
      let c = cliContext(h.core);
      expect(await exportRun(c.ctx, ['--format', 'json', '--out', json])).toBe(0);
      c = cliContext(h.core);
      expect(await snapshotRun(c.ctx, ['import', json, '--label', 'site-b'])).toBe(0);
      expect(c.out()).toBe('Imported snapshot 1 "site-b" (read-only): vm 13, host 2\n');
      c = cliContext(h.core);
      const xlsx = join(h.dir, 'site.xlsx');
      expect(
        await exportRun(c.ctx, ['--format', 'xlsx', '--snapshot', 'site-b', '--out', xlsx]),
      ).toBe(0);
      expect(c.err()).toMatch(/\(vInfo 13, vCPU 13,/);
      c = cliContext(h.core);
      expect(await snapshotRun(c.ctx, ['delete', '1'])).toBe(0);
      c = cliContext(h.core);
      expect(await snapshotRun(c.ctx, ['list', '--json'])).toBe(0);
      expect(JSON.parse(c.out())).toEqual([]);
    });
  });
});
