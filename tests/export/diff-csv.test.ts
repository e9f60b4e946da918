import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvField as cliCsvField } from '../../src/cli/output.js';
import { run as snapshotRun } from '../../src/cli/commands/snapshot.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { DIFF_CSV_HEADERS, csvField, diffToCsv } from '../../src/shared/csv.js';
import type { SnapshotDiff } from '../../src/shared/export.js';
import { cliContext } from '../doubles/cli-context.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { TRICKY, fillStore, richInventory } from './fixtures.js';
import { parseCsv } from './zip-reader.js';

const HEAD = DIFF_CSV_HEADERS.join(',') + '\r\n';

function diffOf(entries: SnapshotDiff['entries']): SnapshotDiff {
  return {
    from: { id: 1, label: 'monday', createdAt: '2026-11-23T06:00:00.000Z' },
    to: { id: null, label: null, createdAt: '2026-11-24T06:00:00.000Z' },
    types: ['vm'],
    summary: {},
    entries,
    truncated: false,
  };
}

describe('diffToCsv (RFC 4180, formula-safe)', () => {
  it('is the same csvField the CLI query output uses', () => {
    expect(cliCsvField).toBe(csvField);
  });

  it('writes a header and one row per added or removed entity', () => {
    const csv = diffToCsv(
      diffOf([
        { type: 'vm', endpoint: 'vc1', id: 'vm-9', name: 'new-vm', change: 'added' },
        { type: 'host', endpoint: 'vc1', id: 'host-3', name: 'esx3', change: 'removed' },
      ]),
    );
    expect(csv).toBe(
      HEAD + 'vm,vc1,vm-9,new-vm,added,,,,,\r\n' + 'host,vc1,host-3,esx3,removed,,,,,\r\n',
    );
  });

  it('writes one row per changed field, with the names references point at', () => {
    const csv = diffToCsv(
      diffOf([
        {
          type: 'vm',
          endpoint: 'vc1',
          id: 'vm-5',
          name: 'app-005-new',
          change: 'changed',
          fields: [
            { field: 'name', old: 'app-005', new: 'app-005-new' },
            {
              field: 'hostId',
              old: 'host-1',
              new: 'host-2',
              oldName: 'esx1.example.test',
              newName: 'esx2.example.test',
            },
            { field: 'cpuCount', old: 2, new: 4 },
            { field: 'isTemplate', old: false, new: true },
            { field: 'annotation', old: null, new: 'hi' },
          ],
        },
      ]),
    );
    expect(csv.split('\r\n').slice(1, -1)).toEqual([
      'vm,vc1,vm-5,app-005-new,changed,name,app-005,app-005-new,,',
      'vm,vc1,vm-5,app-005-new,changed,hostId,host-1,host-2,esx1.example.test,esx2.example.test',
      'vm,vc1,vm-5,app-005-new,changed,cpuCount,2,4,,',
      'vm,vc1,vm-5,app-005-new,changed,isTemplate,false,true,,',
      'vm,vc1,vm-5,app-005-new,changed,annotation,,hi,,',
    ]);
  });

  it('quotes commas, quotes and line breaks, and defuses formulas', () => {
    const csv = diffToCsv(
      diffOf([
        {
          type: 'vm',
          endpoint: 'vc, one',
          id: 'vm-1',
          name: TRICKY.quote,
          change: 'changed',
          fields: [
            { field: 'annotation', old: TRICKY.newline, new: 'a\r\nb' },
            { field: 'name', old: TRICKY.formula, new: '=1+1' },
            { field: 'guestHostname', old: '+cmd', new: '@SUM(A1)' },
            { field: 'cpuUsageMhz', old: -12.5, new: '-x' },
          ],
        },
      ]),
    );
    const lines = csv.split('\r\n');
    expect(lines[1]).toBe(
      `vm,"vc, one",vm-1,"db ""primary""",changed,annotation,"line one\nline two","a`,
    );
    expect(csv).toContain(`,name,"'=HYPERLINK(""http://evil.example/"",""click"")",'=1+1,,\r\n`);
    expect(csv).toContain(`,guestHostname,'+cmd,'@SUM(A1),,\r\n`);
    // A negative number stays a number; text starting with '-' does not.
    expect(csv).toContain(`,cpuUsageMhz,-12.5,'-x,,\r\n`);

    // An RFC 4180 reader gets the values back, apostrophes aside.
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...DIFF_CSV_HEADERS]);
    expect(rows.slice(1).map((r) => r.length)).toEqual([10, 10, 10, 10]);
    expect(rows[1]!.slice(0, 8)).toEqual([
      'vm',
      'vc, one',
      'vm-1',
      'db "primary"',
      'changed',
      'annotation',
      'line one\nline two',
      'a\r\nb',
    ]);
    expect(rows[2]![6]).toBe(`'${TRICKY.formula}`);
  });

  it('writes lists and objects as JSON, non-ASCII as is, and an optional BOM', () => {
    const csv = diffToCsv(
      diffOf([
        {
          type: 'vm',
          endpoint: 'vc1',
          id: 'vm-2',
          name: TRICKY.unicode,
          change: 'changed',
          fields: [
            { field: 'datastoreIds', old: ['ds-1'], new: ['ds-1', 'ds-2'] },
            { field: 'customAttributes', old: { Owner: 'x, y' }, new: null },
          ],
        },
      ]),
      { bom: true },
    );
    expect(csv.startsWith('\ufeffType,Endpoint,')).toBe(true);
    expect(csv).toContain(`,${TRICKY.unicode},`);
    expect(csv).toContain(`,datastoreIds,"[""ds-1""]","[""ds-1"",""ds-2""]",,\r\n`);
    expect(csv).toContain(`,customAttributes,"{""Owner"":""x, y""}",,,\r\n`);
  });

  it('writes only the header for an empty diff', () => {
    expect(diffToCsv(diffOf([]))).toBe(HEAD);
  });
});

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  describe('infrascope snapshot diff --csv', () => {
    let h: CoreHarness;
    beforeEach(async () => {
      h = await makeCore({ memory: false, store: await testStoreLocation(engine) });
    });
    afterEach(async () => {
      await h.close();
    });

    it('writes the diff as CSV on stdout', async () => {
      const base = richInventory();
      const endpointId = await fillStore(h.core.store.db, base);
      let c = cliContext(h.core);
      expect(await snapshotRun(c.ctx, ['save', '--label', 'monday'])).toBe(0);
      const changed = base
        .filter((e) => e.id !== 'vm-6')
        .map((e) => (e.id === 'vm-5' ? { ...e, name: '=evil, "five"' } : e));
      await writeFullInventory(
        h.core.store.db,
        { entities: changed },
        { endpointId, syncRunId: null, now: new Date() },
      );
      c = cliContext(h.core);
      expect(await snapshotRun(c.ctx, ['diff', 'monday', 'now', '--csv'])).toBe(0);
      const rows = parseCsv(c.out());
      expect(rows[0]).toEqual([...DIFF_CSV_HEADERS]);
      expect(rows).toContainEqual(['vm', 'vc1', 'vm-6', 'app-006', 'removed', '', '', '', '', '']);
      expect(rows).toContainEqual([
        'vm',
        'vc1',
        'vm-5',
        `'=evil, "five"`,
        'changed',
        'name',
        'app-005',
        `'=evil, "five"`,
        '',
        '',
      ]);
      expect(c.err()).toBe('');

      c = cliContext(h.core);
      await expect(
        snapshotRun(c.ctx, ['diff', 'monday', 'now', '--csv', '--json']),
      ).rejects.toMatchObject({ code: 'VALIDATION' });
    });
  });
});
