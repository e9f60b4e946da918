import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreEngine } from '../../src/core/store/location.js';
import { STORE_FILE } from '../../src/core/store/sqlite.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import type { Part } from './bombs.js';
import { SNAPSHOT_HEAD, sheetPart, workbookParts, writeGzipBomb, writeZip } from './bombs.js';

/*
 * Small files that inflate to huge ones. Each is imported in a child process (its peak RSS is its
 * own) and must be refused with a typed error naming the limit, in bounded memory, leaving no
 * snapshot and no temporary file. Some cases turn the ratio check off (or lower a limit) through
 * the same environment variables a user would, to reach the limit behind it.
 */
const root = mkdtempSync(join(tmpdir(), 'infrascope-bombs-'));
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await stopSharedPostgres();
});
const run = promisify(execFile);
const MAX_RSS_MIB = 512;

interface Outcome {
  ok: boolean;
  code: string | null;
  message: string;
  details: Record<string, unknown> | null;
  ms: number;
  snapshots: number;
  maxRssMiB: number;
}

/** The child's environment for a fresh store on `engine` (a team store through INFRASCOPE_STORE). */
async function storeEnv(engine: StoreEngine): Promise<Record<string, string>> {
  const url = await testStoreLocation(engine);
  return url === undefined ? {} : { INFRASCOPE_STORE: url };
}

let n = 0;
async function importInChild(
  engine: StoreEngine,
  file: string,
  env: Record<string, string> = {},
  mode?: '--upload',
): Promise<Outcome> {
  const dir = join(root, `data-${++n}`);
  const tmp = join(root, `tmp-${n}`);
  mkdirSync(dir);
  mkdirSync(tmp);
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'tests/hardening/import-child.ts', dir, file, ...(mode ? [mode] : [])],
    { env: { ...process.env, TMPDIR: tmp, ...env, ...(await storeEnv(engine)) }, timeout: 120_000 },
  );
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as Outcome;
  // Nothing left behind: no snapshot, no temporary file, nothing in the data directory but the store.
  expect(out.snapshots).toBe(0);
  // (tsx keeps its own cache there.)
  expect(readdirSync(tmp).filter((f) => !f.startsWith('tsx-'))).toEqual([]);
  expect(readdirSync(dir).filter((f) => !f.startsWith(STORE_FILE))).toEqual([]);
  expect(out.maxRssMiB).toBeLessThan(MAX_RSS_MIB);
  // For the report: what each refusal cost.
  process.stdout.write(
    `${file.split('/').pop()}: ${out.code} in ${Math.round(out.ms)} ms, peak RSS ${Math.round(out.maxRssMiB)} MiB\n`,
  );
  return out;
}

const GIB = 2 ** 30;
const noRatio = { INFRASCOPE_IMPORT_MAX_RATIO: '0' };
const ROW = '["e1","vm-000001","app-server-0001.corp.example"],';

function zip(name: string, parts: Part[]): string {
  const file = join(root, name);
  writeZip(file, parts);
  return file;
}

// Written once for both engines.
const rows = join(root, 'rows.json.gz');
writeGzipBomb(rows, SNAPSHOT_HEAD, ROW, Math.floor(GIB / ROW.length), '["e1","x","y"]]}}');

describe.each(ENGINES)('into a %s store', (engine) => {
  // The file's cluster and its migrated template start here, not inside the first case's timeout.
  beforeAll(() => testStoreLocation(engine), 120_000);

  describe('JSON snapshot bombs', () => {
    it('a 1 MB .json.gz that inflates to 1 GiB is refused by the ratio limit', async () => {
      expect(statSync(rows).size).toBeLessThan(4 * 2 ** 20);
      const out = await importInChild(engine, rows);
      expect(out).toMatchObject({ ok: false, code: 'IMPORT_TOO_LARGE' });
      expect(out.details).toMatchObject({ limit: 'ratio', env: 'INFRASCOPE_IMPORT_MAX_RATIO' });
      expect(out.message).toContain('INFRASCOPE_IMPORT_MAX_RATIO');
    });

    it('with the ratio check off, the inflated-size limit refuses it (uploaded through serve)', async () => {
      const out = await importInChild(
        engine,
        rows,
        { ...noRatio, INFRASCOPE_IMPORT_MAX_FILE_MIB: '32' },
        '--upload',
      );
      expect(out).toMatchObject({ ok: false, code: 'IMPORT_TOO_LARGE' });
      expect(out.details).toMatchObject({
        limit: 'fileBytes',
        env: 'INFRASCOPE_IMPORT_MAX_FILE_MIB',
      });
    });

    it('one string of 1 GiB is refused at the size of a single value', async () => {
      const file = join(root, `string-${engine}.json.gz`);
      writeGzipBomb(
        file,
        '{"format":"infrascope-snapshot","label":"',
        'a'.repeat(1024),
        2 ** 20,
        '"}',
      );
      const out = await importInChild(engine, file, noRatio);
      expect(out).toMatchObject({ ok: false, code: 'IMPORT_INVALID' });
      expect(out.details).toMatchObject({ limit: 'value' });
    });
  });

  describe('XLSX bombs', () => {
    const TINY_ROW = '<row><c><v>1</v></c></row>';

    it('a sheet part that inflates to 1 GiB is refused before it is inflated', async () => {
      const file = zip('part.xlsx', [...workbookParts(), sheetPart('<x/>', GIB / 4)]);
      const out = await importInChild(engine, file);
      expect(out).toMatchObject({ ok: false, code: 'IMPORT_TOO_LARGE' });
      expect(out.details).toMatchObject({ limit: 'ratio' });
    });

    it('with the ratio check off, the per-part limit refuses it, and a lying directory is caught', async () => {
      const file = zip('part-lying.xlsx', [
        ...workbookParts(),
        { ...sheetPart('<x/>', GIB / 4), declare: 1000 },
      ]);
      const honest = zip('part-honest.xlsx', [...workbookParts(), sheetPart('<x/>', GIB / 4)]);
      const out = await importInChild(engine, honest, {
        ...noRatio,
        INFRASCOPE_IMPORT_MAX_PART_MIB: '32',
      });
      expect(out).toMatchObject({ ok: false, code: 'IMPORT_TOO_LARGE' });
      expect(out.details).toMatchObject({
        limit: 'partBytes',
        env: 'INFRASCOPE_IMPORT_MAX_PART_MIB',
      });
      // A directory that understates the size is caught as the part inflates past it.
      const lying = await importInChild(engine, file, noRatio);
      expect(lying).toMatchObject({ ok: false, code: 'IMPORT_INVALID' });
      expect(lying.details).toMatchObject({ limit: 'declared' });
    });

    it('a header cell at column FXSHRXW (2^31) is invalid, not a 2 GB array', async () => {
      const file = zip('column.xlsx', [
        ...workbookParts(),
        sheetPart(
          '',
          0,
          '<row r="1"><c r="A1" t="inlineStr"><is><t>VM</t></is></c><c r="FXSHRXW1" t="inlineStr"><is><t>x</t></is></c></row>',
        ),
      ]);
      const out = await importInChild(engine, file);
      expect(out).toMatchObject({ ok: false, code: 'IMPORT_INVALID' });
      expect(out.details).toMatchObject({ limit: 'columns', value: 16_384 });
      expect(out.message).toContain('XFD');
    });

    it('millions of tiny rows are refused past 1,048,576', async () => {
      const file = zip('rows.xlsx', [...workbookParts(), sheetPart(TINY_ROW, 3_000_000)]);
      const byRatio = await importInChild(engine, file);
      expect(byRatio).toMatchObject({ ok: false, code: 'IMPORT_TOO_LARGE' });
      const out = await importInChild(engine, file, noRatio);
      expect(out).toMatchObject({ ok: false, code: 'IMPORT_INVALID' });
      expect(out.details).toMatchObject({ limit: 'rows', value: 1_048_576 });
    });

    it('huge shared strings are refused at the shared-string limit', async () => {
      const file = zip('strings.xlsx', [
        ...workbookParts(true),
        {
          name: 'xl/sharedStrings.xml',
          prefix: '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
          chunk: `<si><t>${'s'.repeat(200)}</t></si>`,
          repeat: 1_000_000,
          suffix: '</sst>',
        },
        sheetPart(TINY_ROW, 1),
      ]);
      const out = await importInChild(engine, file, {
        ...noRatio,
        INFRASCOPE_IMPORT_MAX_STRINGS_MIB: '32',
      });
      expect(out).toMatchObject({ ok: false, code: 'IMPORT_TOO_LARGE' });
      expect(out.details).toMatchObject({
        limit: 'sharedStringBytes',
        env: 'INFRASCOPE_IMPORT_MAX_STRINGS_MIB',
      });
    });

    it('a well-formed small workbook of the same shape still imports', async () => {
      const file = zip('fine.xlsx', [
        ...workbookParts(),
        sheetPart('<row><c t="inlineStr"><is><t>vm-a</t></is></c></row>', 3),
      ]);
      const dir = join(root, `fine-${engine}`);
      mkdirSync(dir);
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', 'tests/hardening/import-child.ts', dir, file],
        { env: { ...process.env, ...(await storeEnv(engine)) }, timeout: 120_000 },
      );
      expect(JSON.parse(stdout.trim())).toMatchObject({ ok: true, snapshots: 1 });
    });
  });
});
