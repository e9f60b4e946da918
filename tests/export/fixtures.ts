import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import XLSX from 'xlsx';
import { documentSource, readJsonSnapshot } from '../../src/core/export/json-snapshot.js';
import type { InventorySource } from '../../src/core/export/source.js';
import { readRvtoolsWorkbook } from '../../src/core/snapshots/rvtools-import.js';
import type { CollectedEntity, EntityType } from '../../src/shared/entities.js';
import type { Database } from '../../src/core/store/schema.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { afterEach, beforeEach, expect } from 'vitest';
import type { StoreEngine } from '../../src/core/store/location.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { addEndpoint, sampleInventory, testStoreLocation } from '../helpers/store.js';

/** Names that break naive CSV, XML and spreadsheet writers. */
export const TRICKY = {
  comma: 'web, frontend',
  quote: 'db "primary"',
  newline: 'line one\nline two',
  unicode: 'Zürich-Ñandú-東京-🚀',
  formula: '=HYPERLINK("http://evil.example/","click")',
  plus: '+cmd',
  at: '@SUM(A1)',
} as const;

/**
 * The shared sample inventory plus disks, NICs, custom attributes, a dvSwitch port group and VMs
 * with tricky names.
 */
export function richInventory(vmCount = 6): CollectedEntity[] {
  const base = sampleInventory(vmCount).map((e): CollectedEntity => {
    if (e.type !== 'vm') return e;
    const n = Number(e.id.slice(3));
    return {
      ...e,
      fields: {
        ...e.fields,
        folderPath: '/DC0/vm/Prod',
        guestHostname: `${e.name}.corp.example`,
        guestOsRunning: 'Ubuntu Linux (64-bit)',
        instanceUuid: `5000-${n}`,
        annotation: n === 1 ? 'owner: alice, cost center 42' : null,
        customAttributes: n === 1 ? { Owner: 'alice', 'Cost center': '42' } : { Owner: 'bob' },
        nicCount: 1,
        diskCount: 1,
        coresPerSocket: 1,
        hardwareVersion: 'vmx-19',
        toolsVersion: '12352',
        vmPathName: `[ds-gold] ${e.name}/${e.name}.vmx`,
        bootTime: '2026-11-20T08:00:00.000Z',
        memoryConsumedMb: 100 * n,
        memorySwappedMb: n,
        memoryBalloonedMb: 2 * n,
      },
    };
  });
  const extra: CollectedEntity[] = [
    {
      type: 'network',
      id: 'dvportgroup-10',
      name: 'PG-App',
      fields: {
        datacenterId: 'datacenter-1',
        networkType: 'distributedPortgroup',
        switchName: 'DSwitch-1',
        switchId: 'dvs-1',
        vlanId: '120',
        hostIds: ['host-1', 'host-2'],
      },
    },
  ];
  const names = Object.values(TRICKY);
  names.forEach((name, i) => {
    extra.push({
      type: 'vm',
      id: `vm-t${i}`,
      name,
      fields: {
        datacenterId: 'datacenter-1',
        clusterId: 'domain-c1',
        hostId: 'host-1',
        powerState: 'poweredOn',
        isTemplate: false,
        cpuCount: 2,
        memoryMb: 2048,
        ipAddress: `10.1.0.${i + 1}`,
        annotation: name,
        networkIds: ['dvportgroup-10'],
        datastoreIds: ['datastore-2'],
      },
    });
  });
  for (const e of [...base, ...extra]) {
    if (e.type !== 'vm') continue;
    extra.push({
      type: 'vmDisk',
      id: `${e.id}/disk-2000`,
      name: 'Hard disk 1',
      fields: {
        vmId: e.id,
        label: 'Hard disk 1',
        capacityBytes: 40 * 2 ** 30,
        thin: true,
        diskMode: 'persistent',
        fileName: `[ds-gold] ${e.name}/${e.name}.vmdk`,
        datastoreId: 'datastore-1',
        controller: 'pvscsi',
        unitNumber: 0,
      },
    });
    extra.push({
      type: 'vmNic',
      id: `${e.id}/nic-4000`,
      name: 'Network adapter 1',
      fields: {
        vmId: e.id,
        label: 'Network adapter 1',
        adapterType: 'vmxnet3',
        macAddress: '00:50:56:00:00:01',
        networkId: 'network-1',
        networkName: 'VM Network',
        connected: true,
        startConnected: true,
        ipAddresses: [String(e.fields['ipAddress'] ?? '10.9.9.9'), 'fe80::1'],
      },
    });
  }
  return [...base, ...extra];
}

export async function fillStore(
  db: Kysely<Database>,
  entities: readonly CollectedEntity[] = richInventory(),
  name = 'vc1',
): Promise<number> {
  const endpointId = await addEndpoint(db, name);
  await writeFullInventory(
    db,
    { entities },
    { endpointId, syncRunId: null, now: new Date('2026-11-24T06:00:00Z') },
  );
  return endpointId;
}

/**
 * An RVTools-shaped workbook written by SheetJS (an independent writer, not ours): one sheet per
 * entry, each an array of rows with the header row first.
 */
export function sheetJsWorkbook(
  sheets: Readonly<Record<string, unknown[][]>>,
  opts: {
    readonly cellDates?: boolean;
    /** Deflate the entries, as Excel does (SheetJS stores them by default). */
    readonly compression?: boolean;
  } = {},
): Buffer {
  const wb = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets)) {
    XLSX.utils.book_append_sheet(
      wb,
      XLSX.utils.aoa_to_sheet(rows, { cellDates: opts.cellDates ?? false }),
      name,
    );
  }
  return XLSX.write(wb, {
    type: 'buffer',
    bookType: 'xlsx',
    compression: opts.compression ?? false,
  }) as Buffer;
}

/** {@link sheetJsWorkbook} written to `file`, dates as date cells; returns `file`. */
export function writeSheetJsWorkbook(
  file: string,
  sheets: Readonly<Record<string, unknown[][]>>,
): string {
  writeFileSync(file, sheetJsWorkbook(sheets, { cellDates: true }));
  return file;
}

/**
 * Breaks the XML of the cell holding the number `marker` in `file` (SheetJS stores entries
 * uncompressed, so the bytes are there to edit): the sheet holding it can no longer be parsed.
 */
export function breakCellXml(file: string, marker: number): void {
  const bytes = readFileSync(file);
  const at = bytes.indexOf(`${marker}</v>`);
  if (at < 0) throw new Error(`no cell holds ${marker}`);
  bytes.write(`${marker}</x>`, at);
  writeFileSync(file, bytes);
}

/** A source's records of `types` and its endpoints' facts, in an order that compares. */
function sourceContents(
  source: InventorySource,
  types: readonly EntityType[],
): { endpoints: unknown[]; records: Record<string, unknown[]> } {
  const records: Record<string, unknown[]> = {};
  for (const type of types) {
    records[type] = [...source.pages(type)]
      .flat()
      .map((r) => ({ id: r.id, name: r.name, endpoint: r.ep.host, fields: r.fields }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }
  // An export writes every fact it knows of, null where unknown; a workbook's reader leaves out
  // what the workbook cannot say: both mean "not known".
  const known = (about: object | null | undefined): object | null | undefined =>
    about && Object.fromEntries(Object.entries(about).filter(([, v]) => v !== null));
  return { endpoints: source.endpoints.map((e) => [e.host, known(e.about)]), records };
}

/**
 * What saved snapshot `id` holds of `types`, read back from the store through a JSON export of
 * the snapshot (so the store's own reading on either engine, not the import's memory).
 */
async function savedContents(
  h: CoreHarness,
  id: number,
  types: readonly EntityType[],
): Promise<ReturnType<typeof sourceContents>> {
  const out = join(h.dir, `snapshot-${id}.json.gz`);
  await h.call('export:run', { format: 'json', out, snapshot: id });
  return sourceContents(documentSource(await readJsonSnapshot(out)), types);
}

/**
 * A fresh core on `engine` for each test of the describe that calls this (closed after it);
 * returns the current test's.
 */
export function coreEachTest(engine: StoreEngine): () => CoreHarness {
  let h: CoreHarness | undefined;
  beforeEach(async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
  });
  afterEach(async () => {
    await h?.close();
  });
  return () => h!;
}

/** A fresh temporary folder for each test of the describe that calls this; returns the current one. */
export function dirEachTest(prefix: string): () => string {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/**
 * Imports the RVTools workbook `file` into `h`'s store and expects the store to give back what
 * the reader reads of `types` (each of which the workbook holds).
 */
export async function expectImportSavesWhatItReads(
  h: CoreHarness,
  file: string,
  types: readonly EntityType[],
): Promise<void> {
  const read = sourceContents(await readRvtoolsWorkbook(file), types);
  for (const type of types) expect(read.records[type], type).not.toEqual([]);
  const snap = await h.call('snapshots:import', { file, format: 'rvtools' });
  expect(await savedContents(h, snap.id, types)).toEqual(read);
}

/**
 * Breaks the cell of workbook `file` that holds `marker` ({@link breakCellXml}), imports it into
 * `h`'s store and expects a VALIDATION error naming `sheet`, with no snapshot saved.
 */
export async function expectBrokenSheetSavesNothing(
  h: CoreHarness,
  file: string,
  marker: number,
  sheet: string,
): Promise<void> {
  breakCellXml(file, marker);
  const err = await h.call('snapshots:import', { file, format: 'rvtools' }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining(sheet) });
  await expect(h.call('snapshots:list', {})).resolves.toEqual([]);
}
