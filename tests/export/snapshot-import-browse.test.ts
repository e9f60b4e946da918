import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { sql } from 'kysely';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importSnapshotUpload, sniffImportFormat } from '../../src/core/snapshots/upload.js';
import type { CollectedEntity, EntityOf } from '../../src/shared/entities.js';
import { isEntity } from '../../src/shared/entities.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { fillStore, richInventory, sheetJsWorkbook } from './fixtures.js';

let h: CoreHarness;
let base: CollectedEntity[];

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeEach(async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
    base = richInventory();
    await fillStore(h.core.store.db, base);
  });

  afterEach(async () => {
    await h.close();
  });

  /** A small RVTools workbook written by SheetJS (not our writer). */
  function rvtoolsWorkbook(): Buffer {
    return sheetJsWorkbook({
      vInfo: [
        ['VM', 'Powerstate', 'CPUs', 'Memory', 'Host', 'VM ID', 'VI SDK Server'],
        ['app-001', 'poweredOn', 2, 1024, 'esx1.example.test', 'vm-1', 'vc1.example.test'],
        ['app-002', 'poweredOff', 3, 4096, 'esx1.example.test', 'vm-2', 'vc1.example.test'],
        ['legacy-db', 'poweredOn', 8, 65536, 'esx2.example.test', 'vm-500', 'vc1.example.test'],
      ],
      vHost: [
        ['Host', '# Cores', 'Object ID', 'VI SDK Server'],
        ['esx1.example.test', 16, 'host-1', 'vc1.example.test'],
      ],
    });
  }

  function importTemps(): string[] {
    return readdirSync(tmpdir()).filter((n) => n.startsWith('infrascope-import-'));
  }

  async function entityRows(): Promise<number> {
    // The snapshot tables are the snapshot store's own, not in the kysely schema.
    const r = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM snapshot_entity`.execute(
      h.core.store.db,
    );
    return r.rows[0]!.n;
  }

  describe('import from uploaded bytes', () => {
    it('tells the format by content, not by name', () => {
      expect(sniffImportFormat(rvtoolsWorkbook())).toBe('rvtools');
      expect(sniffImportFormat(gzipSync('{}'))).toBe('json');
      expect(sniffImportFormat(Buffer.from('VM,Powerstate\n'))).toBeNull();
      expect(sniffImportFormat(new Uint8Array())).toBeNull();
    });

    it('imports an RVTools workbook read-only, named for the uploaded file, and browses it', async () => {
      const before = importTemps();
      // The name claims JSON: the content decides.
      const snap = await importSnapshotUpload(h.core.store, [rvtoolsWorkbook()], {
        name: 'C:\\Users\\op\\site-b.json.gz',
      });
      expect(snap).toMatchObject({
        source: 'import',
        origin: 'rvtools',
        readOnly: true,
        label: 'site-b.json.gz',
        endpoints: ['vc1.example.test'],
      });
      expect(snap.counts).toMatchObject({ vm: 3, host: 1 });
      expect(importTemps()).toEqual(before);

      const page = await h.call('snapshots:rows', {
        id: snap.id,
        type: 'vm',
        sort: 'cpuCount',
        dir: 'desc',
      });
      expect(page.total).toBe(3);
      expect(page.rows.map((r) => [r.values['name'], r.values['cpuCount']])).toEqual([
        ['legacy-db', 8],
        ['app-002', 3],
        ['app-001', 2],
      ]);
      expect(page.rows[0]!.values).toMatchObject({
        endpoint: 'vc1.example.test',
        powerState: 'poweredOn',
        memoryMb: 65536,
      });
      // vHost lists esx1 (host-1), so that reference shows its name; esx2 is known by name only.
      expect(page.rows[1]!.values['hostId']).toBe('host-1');
      expect(page.rows[1]!.refs['hostId']).toBe('esx1.example.test');
      expect(page.rows[0]!.values['hostId']).toBe('esx2.example.test');
      expect(page.rows[0]!.refs['hostId']).toBeUndefined();

      const diff = await h.call('snapshots:diff', { from: snap.id, to: 'now', types: ['vm'] });
      const legacy = diff.entries.find((e) => e.name === 'legacy-db');
      expect(legacy?.change).toBe('removed');
    });

    it('imports an exported JSON snapshot uploaded as bytes', async () => {
      const out = join(h.dir, 'inv.json.gz');
      await h.call('export:run', { format: 'json', out });
      const snap = await importSnapshotUpload(h.core.store, [readFileSync(out)], {
        name: 'inv.json.gz',
        label: 'from site b',
      });
      expect(snap).toMatchObject({ origin: 'json', readOnly: true, label: 'from site b' });
      expect(snap.counts.vm).toBe(base.filter((e) => e.type === 'vm').length);
      const diff = await h.call('snapshots:diff', { from: snap.id, to: 'now' });
      expect(diff.entries).toEqual([]);
    });

    it('refuses garbage, truncated, oversized and non-workbook files with IMPORT_INVALID and saves nothing', async () => {
      const before = importTemps();
      const workbook = rvtoolsWorkbook();
      const csvZip = join(h.dir, 'inv.zip');
      await h.call('export:run', { format: 'csv', out: csvZip });
      const json = join(h.dir, 'inv.json.gz');
      await h.call('export:run', { format: 'json', out: json });
      const gz = readFileSync(json);
      const cases: [string, Buffer, string, number?][] = [
        ['notes.txt', Buffer.from('just some text, not a workbook'), 'unknown-type'],
        ['empty.xlsx', Buffer.alloc(0), 'unknown-type'],
        ['half.xlsx', workbook.subarray(0, Math.floor(workbook.length / 2)), 'unreadable'],
        ['half.json.gz', gz.subarray(0, Math.floor(gz.length / 2)), 'unreadable'],
        ['other.json.gz', gzipSync('{"hello": "world"}'), 'unreadable'],
        ['csv.zip', readFileSync(csvZip), 'unreadable'],
        ['big.xlsx', workbook, 'too-large', 1024],
      ];
      for (const [name, bytes, reason, maxBytes] of cases) {
        const err = await importSnapshotUpload(h.core.store, [bytes], {
          name,
          ...(maxBytes ? { maxBytes } : {}),
        }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, name).toMatchObject({ code: 'IMPORT_INVALID', details: { reason } });
        expect((err as Error).message, name).toContain(name);
        expect((err as Error).message, name).not.toContain(tmpdir());
      }
      await expect(h.call('snapshots:list', {})).resolves.toEqual([]);
      expect(await entityRows()).toBe(0);
      expect(importTemps()).toEqual(before);
    });
  });

  describe('snapshots:rows', () => {
    const vms = (): EntityOf<'vm'>[] => base.filter(isEntity('vm'));

    it('pages, sorts by a field and by name, and resolves references', async () => {
      const snap = await h.call('snapshots:save', { label: 'rows' });
      // Expected order computed here: memory descending, then native id descending.
      const expected = vms()
        .map((e) => ({ id: e.id, name: e.name, mem: e.fields['memoryMb'] as number }))
        .sort((a, b) => b.mem - a.mem || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
        .map((e) => e.name);
      const seen: string[] = [];
      for (let offset = 0; offset < expected.length; offset += 5) {
        const page = await h.call('snapshots:rows', {
          id: snap.id,
          type: 'vm',
          sort: 'memoryMb',
          dir: 'desc',
          offset,
          limit: 5,
        });
        expect(page.total).toBe(expected.length);
        expect(page.offset).toBe(offset);
        expect(page.rows.length).toBe(Math.min(5, expected.length - offset));
        seen.push(...page.rows.map((r) => r.values['name'] as string));
      }
      expect(seen).toEqual(expected);

      const byName = await h.call('snapshots:rows', { id: snap.id, type: 'vm', limit: 500 });
      const names = vms()
        .map((e) => e.name)
        .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase(), 'en'));
      expect(byName.rows.filter((r) => /^app-/.test(r.values['name'] as string)).length).toBe(6);
      expect(byName.rows.map((r) => r.values['name'])).toEqual(
        // SQLite's NOCASE folds ASCII only; code-point order otherwise.
        [...names].sort((a, b) => {
          const x = a.toLowerCase();
          const y = b.toLowerCase();
          return x < y ? -1 : x > y ? 1 : 0;
        }),
      );
      expect(byName.columns.slice(0, 3)).toEqual(['name', 'endpoint', 'datacenterId']);
      const app1 = byName.rows.find((r) => r.values['name'] === 'app-001')!;
      expect(app1.values).toMatchObject({ endpoint: 'vc1', cpuCount: 2, memoryMb: 1024 });
      expect(app1.refs).toMatchObject({ hostId: 'esx1.example.test', clusterId: 'Cluster A' });

      const hosts = await h.call('snapshots:rows', { id: snap.id, type: 'host', sort: 'endpoint' });
      expect(hosts.rows.map((r) => r.values['name'])).toEqual([
        'esx1.example.test',
        'esx2.example.test',
      ]);
    });

    it('searches names, values and endpoint names, with LIKE wildcards taken literally', async () => {
      const snap = await h.call('snapshots:save', {});
      const search = async (text: string): Promise<string[]> =>
        (await h.call('snapshots:rows', { id: snap.id, type: 'vm', search: text, limit: 500 })).rows
          .map((r) => r.values['name'] as string)
          .sort();
      expect(await search('APP-00')).toEqual(
        vms()
          .filter((e) => /^app-00/.test(e.name))
          .map((e) => e.name)
          .sort(),
      );
      expect(await search('zürich')).toEqual(['Zürich-Ñandú-東京-🚀']);
      expect(await search('10.0.0.3')).toEqual(['app-003']);
      expect(await search('vc1')).toHaveLength(vms().length);
      expect(await search('%')).toEqual([]);
      expect(await search('_')).toEqual([]);
      expect(await search('no such thing')).toEqual([]);
      const page = await h.call('snapshots:rows', { id: snap.id, type: 'vm', search: 'app-00' });
      expect(page.total).toBe(6);
    });

    it('answers typed errors for unknown snapshots and fields, and for bad input', async () => {
      const snap = await h.call('snapshots:save', {});
      await expect(h.call('snapshots:rows', { id: 999, type: 'vm' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(
        h.call('snapshots:rows', { id: snap.id, type: 'vm', sort: 'data; DROP TABLE x' }),
      ).rejects.toMatchObject({ code: 'UNKNOWN_FIELD' });
      await expect(
        h.call('snapshots:rows', { id: snap.id, type: 'vm', limit: 501 }),
      ).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(
        h.call('snapshots:rows', { id: snap.id, type: 'vmDisk' as 'vm' }),
      ).rejects.toMatchObject({ code: 'VALIDATION' });
    });
  });
});
