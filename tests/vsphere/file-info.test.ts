import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTORS } from '../../src/core/core.js';
import type { SyncProgressEvent } from '../../src/shared/contract.js';
import type { RequestInput } from '../../src/shared/contract.js';
import type { QueryRow } from '../../src/shared/query.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { RVTOOLS_HEADERS } from '../export/rvtools-reference.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { readWithOpenpyxl, readWithPyvmomi } from '../helpers/python-readers.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import type { PyDatastoreListing } from '../helpers/python-readers.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { simEndpointInput } from './helpers.js';

/*
 * The optional datastore file listing (RVTools' vFileInfo) against vcsim, whose datastores are
 * real directories holding the VMs' files. Checked against two independent readers: pyVmomi's
 * own SearchDatastoreSubFolders_Task on the same simulator, and openpyxl on our workbook; the
 * simulator's recent task list says whether a search was started at all.
 */

let sim: Vcsim;
let h: CoreHarness;
let endpointId = 0;
/** Datastore moid → its directory on this machine (summary.url), and the datastore names. */
const dirs = new Map<string, string>();
const names = new Map<string, string>();

beforeAll(async () => {
  sim = await startVcsim({ dc: 1, cluster: 1, host: 1, standaloneHost: 1, vm: 1, ds: 3 });
  const py = await readWithPyvmomi(sim, { Datastore: ['name', 'summary.url'] });
  for (const d of py.objects['Datastore'] ?? []) {
    dirs.set(d.moid, String(d.props['summary.url']));
    names.set(d.moid, String(d.props['name']));
  }
  // vcsim puts every VM on the first datastore: give the others files of their own, nested.
  for (const dir of [...dirs.values()].slice(1)) {
    mkdirSync(join(dir, 'iso', 'old'), { recursive: true });
    writeFileSync(join(dir, 'iso', 'installer.iso'), 'iso image\n');
    writeFileSync(join(dir, 'iso', 'old', 'floppy.img'), 'floppy\n');
    writeFileSync(join(dir, 'readme.txt'), 'a plain file\n');
  }
}, 180_000);

afterAll(async () => {
  await sim?.stop();
  await stopSharedPostgres();
});

/** One sync through the core, as `infrascope sync` starts it; its terminal event. */
async function sync(
  extra: Omit<RequestInput<'sync:start'>, 'ids'> = {},
  during?: (p: SyncProgressEvent) => void,
): Promise<SyncProgressEvent> {
  h.events.splice(0);
  const off = during ? h.core.events.on('sync:progress', during) : () => undefined;
  try {
    // The previous sync's slot is freed just after its terminal event: start once it is.
    while ((await h.call('sync:start', { ids: [endpointId], ...extra })).started.length === 0)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const [done] = await h.finished([endpointId]);
    return done!;
  } finally {
    off();
  }
}

/** The simulator's datastore searches so far (its TaskManager.recentTask), read by pyVmomi. */
async function searches(): Promise<number> {
  return (await readWithPyvmomi(sim, {}, { searches: true })).searches!.length;
}

async function storedFiles(includeDeleted = false): Promise<readonly QueryRow[]> {
  const r = await h.call('inventory:query', {
    kind: 'datastore-files',
    limit: 10_000,
    includeDeleted,
    sort: [{ field: 'path', desc: false }],
  });
  expect(r.total).toBe(r.rows.length);
  return r.rows;
}

/** A listing as comparable tuples: datastore, folder, name, type, size, modification (ms). */
function fromPy(listing: readonly PyDatastoreListing[]): string[] {
  return listing
    .flatMap((d) =>
      d.results.flatMap((r) =>
        r.files.map((f) =>
          JSON.stringify([
            d.datastore,
            r.folderPath.trimEnd(),
            f.path,
            f.type,
            f.fileSize ?? null,
            f.modification === null ? null : Date.parse(f.modification),
          ]),
        ),
      ),
    )
    .sort();
}

function fromStore(rows: readonly QueryRow[]): string[] {
  return rows
    .map((r) =>
      JSON.stringify([
        r['datastoreId'],
        r['folderPath'],
        r['name'],
        r['fileType'],
        r['sizeBytes'],
        r['modifiedAt'] === null ? null : Date.parse(String(r['modifiedAt'])),
      ]),
    )
    .sort();
}

describe.each(ENGINES)(
  'datastore file listing (vFileInfo) against vcsim on a %s store',
  (engine) => {
    // One simulator for the file: each engine's core adds it as a new endpoint and lists it afresh.
    beforeAll(async () => {
      h = await makeCore({
        collectors: DEFAULT_COLLECTORS,
        memory: false,
        store: await testStoreLocation(engine),
      });
      endpointId = (await h.call('endpoints:add', simEndpointInput(sim))).id;
    });
    afterAll(async () => {
      await h?.close();
    });

    it('is off by default: a sync starts no datastore search and stores no file', async () => {
      const before = await searches();
      const done = await sync();
      expect(done.state).toBe('succeeded');
      expect(await searches()).toBe(before);
      expect(await storedFiles(true)).toEqual([]);
      expect(h.events.some((e) => (e.payload as SyncProgressEvent).phase === 'files')).toBe(false);
    }, 120_000);

    it('sync --file-info lists what pyVmomi’s own search lists, one search per datastore, with progress', async () => {
      const before = await searches();
      const done = await sync({ fileInfo: true });
      expect(done.state).toBe('succeeded');
      expect(done.notes).toBeUndefined();
      expect((await searches()) - before).toBe(dirs.size);
      const files = await storedFiles();
      const py = (await readWithPyvmomi(sim, {}, { files: true })).files!;
      expect(fromPy(py).length).toBeGreaterThan(dirs.size * 2);
      expect(fromStore(files)).toEqual(fromPy(py));
      // Each VM's configuration and disk is there, typed as the browser types it.
      expect(files.filter((f) => f['fileType'] === 'VmConfigFileInfo').length).toBeGreaterThan(0);
      expect(files.filter((f) => f['fileType'] === 'VmDiskFileInfo').length).toBeGreaterThan(0);
      // Progress: datastores done of the total, each step once.
      const steps = h.events
        .map((e) => e.payload as SyncProgressEvent)
        .filter((p) => p.phase === 'files')
        .map((p) => [p.done, p.total]);
      expect(steps).toEqual(Array.from({ length: dirs.size + 1 }, (_, i) => [i, dirs.size]));
    }, 120_000);

    it('writes vFileInfo with RVTools’ headers and the listed files, as openpyxl reads them', async () => {
      const file = join(h.dir, 'rvtools.xlsx');
      await h.call('export:run', { format: 'xlsx', out: file });
      const [book, py] = await Promise.all([
        readWithOpenpyxl(file, ['vFileInfo']),
        readWithPyvmomi(sim, {}, { files: true }),
      ]);
      expect(book.sheet('vFileInfo')?.headers).toEqual(RVTOOLS_HEADERS['vFileInfo']);
      const rows = book.records('vFileInfo');
      const byDsName = new Map([...names].map(([moid, name]) => [name, moid]));
      const got = rows
        .map((r) => {
          const friendly = String(r['Friendly Path Name']?.v);
          const ds = /^\[([^\]]+)\]/.exec(friendly)?.[1] ?? '';
          expect(r['VI SDK Server']).toEqual({ t: 's', v: sim.host });
          expect(r['VI SDK UUID']).toEqual({ t: 's', v: py.about['instanceUuid'] });
          // The friendly path ends with the file's name; the size is a number cell.
          expect(
            friendly.endsWith(`/${String(r['File Name']?.v)}`) ||
              friendly.endsWith(` ${String(r['File Name']?.v)}`),
          ).toBe(true);
          const size = r['File Size in bytes'];
          expect(size?.t === 'n' || size?.t === 'e').toBe(true);
          return JSON.stringify([
            byDsName.get(ds),
            r['Path']?.v,
            r['File Name']?.v,
            r['File Type']?.v,
            size?.v ?? null,
          ]);
        })
        .sort();
      const want = fromPy(py.files!)
        .map((t) => JSON.stringify((JSON.parse(t) as unknown[]).slice(0, 5)))
        .sort();
      expect(got).toEqual(want);
    }, 120_000);

    it('follows a file added and removed on a datastore, in the change log', async () => {
      const [moid, dir] = [...dirs][0]!;
      const extra = join(dir, 'infrascope-test.iso');
      writeFileSync(extra, 'not really an ISO image\n');
      await sync({ fileInfo: true });
      const added = (await storedFiles()).find((f) => f['name'] === 'infrascope-test.iso');
      expect(added).toMatchObject({
        datastoreId: moid,
        fileType: 'IsoImageFileInfo',
        sizeBytes: 'not really an ISO image\n'.length,
      });
      rmSync(extra);
      await sync({ fileInfo: true });
      expect((await storedFiles()).some((f) => f['name'] === 'infrascope-test.iso')).toBe(false);
      const changes = await h.call('inventory:query', {
        kind: 'changes',
        where: [{ field: 'entityType', op: '=', value: 'datastoreFile' }],
        search: 'infrascope-test.iso',
        limit: 10,
      });
      expect(changes.rows.map((c) => c['kind']).sort()).toEqual(['created', 'deleted']);
    }, 120_000);

    it('caps the listing and says so; the files a cap left out are kept as last listed', async () => {
      const listed = await storedFiles();
      const perDs = (moid: string): number =>
        listed.filter((f) => f['datastoreId'] === moid).length;
      const done = await sync({ fileInfo: { maxFilesPerDatastore: 2 } });
      expect(done.state).toBe('succeeded');
      const sorted = [...names].sort((a, b) => a[1].localeCompare(b[1]));
      expect(done.notes).toEqual(
        sorted.map(
          ([moid, name]) => `${name}: 2 of ${perDs(moid)} files listed (cap of 2 per datastore)`,
        ),
      );
      expect(fromStore(await storedFiles())).toEqual(fromStore(listed));

      const total = await sync({ fileInfo: { maxFiles: 3 } });
      const [first, ...rest] = sorted;
      expect(total.notes).toEqual([
        `${first![1]}: 3 of ${perDs(first![0])} files listed (cap of 3 in all)`,
        ...rest.map(([, name]) => `${name}: not listed, the total cap of 3 files was reached`),
      ]);
      expect(fromStore(await storedFiles())).toEqual(fromStore(listed));
    }, 120_000);

    it('the endpoint’s setting lists files on every sync; turned off, the last listing is kept', async () => {
      await h.call('endpoints:update', { id: endpointId, fileInfo: true });
      let before = await searches();
      expect((await sync()).state).toBe('succeeded');
      expect((await searches()) - before).toBe(dirs.size);
      const listed = await storedFiles();

      await h.call('endpoints:update', { id: endpointId, fileInfo: false });
      before = await searches();
      expect((await sync()).state).toBe('succeeded');
      expect(await searches()).toBe(before);
      // Not looked at, so not deleted, and not "seen" either: last_seen is still the listing's.
      expect(await storedFiles()).toEqual(listed);
    }, 120_000);

    it('a sync cancelled in the middle of the walk leaves the store as it was', async () => {
      const db = h.core.store.db;
      const dump = async (): Promise<unknown> => ({
        files: await db.selectFrom('datastore_file').selectAll().orderBy('id').execute(),
        vms: await db.selectFrom('vm').selectAll().orderBy('id').execute(),
        changes: await db
          .selectFrom('change_log')
          .select((e) => e.fn.countAll().as('n'))
          .execute(),
      });
      const before = await dump();
      const searchesBefore = await searches();
      const done = await sync({ fileInfo: true }, (p) => {
        if (p.phase === 'files' && p.done === 1)
          void h.call('sync:cancel', { id: endpointId }).catch(() => undefined);
      });
      expect(done.state).toBe('cancelled');
      expect(await dump()).toEqual(before);
      // The walk stopped: fewer searches than datastores were started.
      expect((await searches()) - searchesBefore).toBeLessThan(dirs.size);
    }, 120_000);
  },
);
