import { readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { sql } from 'kysely';
import { join } from 'node:path';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importSnapshotFile, importSnapshotUpload } from '../../src/core/snapshots/upload.js';
import type { ImportProgress, SnapshotImportProgressEvent } from '../../src/shared/export.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { sheetJsWorkbook } from './fixtures.js';

/*
 * Progress and cancellation of an RVTools import, on workbooks written by SheetJS (not by the
 * reader under test) with one sheet the import skips.
 */

const VMS = 2_600;
const HOSTS = 12;

function workbook(vms = VMS): Buffer {
  const vInfo: unknown[][] = [['VM', 'Powerstate', 'CPUs', 'Host', 'VM ID', 'VI SDK Server']];
  // vCD: a sheet the import does not read (vDisk was one until the import read it).
  const vCD: unknown[][] = [['VM', 'Device Node', 'Connected']];
  for (let i = 0; i < vms; i++) {
    vInfo.push([`vm-${i}`, 'poweredOn', 1 + (i % 4), `esx${i % HOSTS}`, `vm-${i}`, 'vc1']);
    vCD.push([`vm-${i}`, 'CD/DVD drive 1', false]);
  }
  const vHost: unknown[][] = [['Host', '# Cores', 'VI SDK Server']];
  for (let i = 0; i < HOSTS; i++) vHost.push([`esx${i}`, 16, 'vc1']);
  return sheetJsWorkbook({ vInfo, vCD, vHost });
}

let h: CoreHarness;
let file: string;

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeEach(async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
    file = join(h.dir, 'RVTools_export_all.xlsx');
    writeFileSync(file, workbook());
  });

  afterEach(async () => {
    await h.close();
  });

  // The snapshot tables are the snapshot store's own, not in the kysely schema.
  const snapshotRows = async (): Promise<number> =>
    (
      await sql<{
        n: number;
      }>`SELECT (SELECT COUNT(*) FROM snapshot_entity) + (SELECT COUNT(*) FROM snapshot_set) AS n`.execute(
        h.core.store.db,
      )
    ).rows[0]!.n;

  /** Temporary files of an import: the upload's directory (and any reader's spill files). */
  const temps = (): string[] =>
    readdirSync(tmpdir()).filter((n) => n.startsWith('infrascope-import-') || /^tmp-\d+/.test(n));

  function progressEvents(importId: string): SnapshotImportProgressEvent[] {
    return h.events
      .filter((e) => e.name === 'snapshots:importProgress')
      .map((e) => e.payload as SnapshotImportProgressEvent)
      .filter((p) => p.importId === importId);
  }

  describe('import progress', () => {
    it('reports each phase with real counts that only grow, ending at the totals', async () => {
      const seen: ImportProgress[] = [];
      const snap = await importSnapshotFile(h.core.store, file, {
        name: 'RVTools_export_all.xlsx',
        onProgress: (p) => seen.push(p),
      });
      // The workbook names no datacenter or cluster: VMs and hosts only.
      const entities = VMS + HOSTS;
      expect(snap.counts).toEqual({ vm: VMS, host: HOSTS });

      const phases = [...new Set(seen.map((p) => p.phase))];
      expect(phases).toEqual(['read vInfo', 'read vHost', 'save']);
      for (const phase of phases) {
        const done = seen.filter((p) => p.phase === phase).map((p) => p.done);
        expect(done, phase).toEqual([...done].sort((a, b) => a - b));
      }
      const vInfo = seen.filter((p) => p.phase === 'read vInfo');
      expect(vInfo.map((p) => p.done)).toEqual([0, 1000, 2000, VMS]);
      expect(vInfo.every((p) => p.total === undefined)).toBe(true);
      expect(seen.filter((p) => p.phase === 'read vHost').at(-1)).toEqual({
        phase: 'read vHost',
        done: HOSTS,
      });
      const save = seen.filter((p) => p.phase === 'save');
      expect(save.every((p) => p.total === entities)).toBe(true);
      expect(save[0]!.done).toBe(0);
      expect(save.at(-1)!.done).toBe(entities);
    });

    it('sends snapshots:importProgress events under the client-chosen id, then the outcome', async () => {
      const snap = await h.call('snapshots:import', { file, importId: 'ui-progress-1' });
      expect(snap.counts.vm).toBe(VMS);
      const events = progressEvents('ui-progress-1');
      expect(events[0]).toMatchObject({ state: 'running', phase: 'start', done: 0 });
      expect(events.at(-1)).toMatchObject({
        state: 'succeeded',
        phase: 'save',
        done: VMS + HOSTS,
        total: VMS + HOSTS,
      });
      const running = events.filter((e) => e.state === 'running');
      // Each phase's last count gets through the throttle, and counts only grow.
      expect(running.filter((e) => e.phase === 'read vInfo').at(-1)?.done).toBe(VMS);
      expect(running.filter((e) => e.phase === 'read vHost').at(-1)?.done).toBe(HOSTS);
      for (const phase of new Set(running.map((e) => e.phase))) {
        const done = running.filter((e) => e.phase === phase).map((e) => e.done);
        expect(done, phase).toEqual([...done].sort((a, b) => a - b));
      }
      // Throttled: far fewer events than rows.
      expect(events.length).toBeLessThan(50);
    });
  });

  describe('import cancellation', () => {
    it('an abort while vInfo is read answers CANCELLED, saves nothing and leaves no temp files', async () => {
      const before = temps();
      const controller = new AbortController();
      const bytes = workbook();
      const err = await importSnapshotUpload(h.core.store, [bytes], {
        name: 'site-b.xlsx',
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'read vInfo' && p.done >= 1000) controller.abort();
        },
      }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'CANCELLED' });
      expect(await snapshotRows()).toBe(0);
      expect(temps()).toEqual(before);
    });

    it('snapshots:cancelImport stops an import while it saves; the transaction is rolled back', async () => {
      const importId = 'ui-cancel-1';
      let asked: Promise<{ cancelled: boolean }> | null = null;
      const unsubscribe = h.core.events.subscribe((name, payload) => {
        const p = payload as SnapshotImportProgressEvent;
        if (name === 'snapshots:importProgress' && p.importId === importId && p.phase === 'save') {
          asked ??= h.call('snapshots:cancelImport', { importId });
        }
      });
      try {
        const err = await h.call('snapshots:import', { file, importId }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ code: 'CANCELLED' });
        await expect(asked).resolves.toEqual({ cancelled: true });
      } finally {
        unsubscribe();
      }
      expect(progressEvents(importId).at(-1)).toMatchObject({ state: 'cancelled', phase: 'save' });
      expect(await snapshotRows()).toBe(0);
      await expect(h.call('snapshots:list', {})).resolves.toEqual([]);
      // Nothing is running under that id any more; a bad id is refused by the schema.
      await expect(h.call('snapshots:cancelImport', { importId })).resolves.toEqual({
        cancelled: false,
      });
      await expect(h.call('snapshots:cancelImport', { importId: '../x' })).rejects.toMatchObject({
        code: 'VALIDATION',
      });
    });
  });
});
