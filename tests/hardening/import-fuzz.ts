/**
 * Fuzzing the import readers: random and mutated JSON snapshots through readJsonSnapshot, random
 * worksheet XML (cell references, rows, escapes, nesting) in a workbook through
 * readRvtoolsWorkbook. Each either reads or throws an AppError — never another exception — and a
 * JSON document that JSON.parse reads as a snapshot reads the same through the streaming splitter.
 * Shared by the seeded run in the suite (import.fuzz.test.ts) and the long run (bench/fuzz.ts).
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonSnapshot } from '../../src/core/export/json-snapshot.js';
import { readRvtoolsWorkbook } from '../../src/core/snapshots/rvtools-import.js';
import { isAppError } from '../../src/shared/errors.js';
import { sheetPart, workbookParts, writeZip } from './bombs.js';

const row = fc.tuple(
  fc.constantFrom('e1', 'e2'),
  fc.string({ maxLength: 8 }),
  fc.string({ maxLength: 8 }),
  fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.constant(null), fc.boolean()),
);

/** A well-formed snapshot document (as an object). */
const snapshotDoc = fc.record({
  format: fc.constant('infrascope-snapshot'),
  schemaVersion: fc.constant(1),
  createdAt: fc.constant('2026-12-01T00:00:00.000Z'),
  label: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
  endpoints: fc.constant([{ key: 'e1', name: 'vc1', kind: 'vcenter', host: 'vc1', port: null }]),
  fields: fc.constant({ vm: ['powerState'] }),
  entities: fc.record({
    vm: fc.array(row, { maxLength: 6 }),
    host: fc.array(row, { maxLength: 3 }),
  }),
  relations: fc.array(fc.tuple(fc.string(), fc.string(), fc.string(), fc.string()), {
    maxLength: 3,
  }),
});

/** Text to read: a valid document (pretty or compact), one cut or spliced, or token soup. */
export const hostileJson: fc.Arbitrary<string> = fc.oneof(
  snapshotDoc.map((d) => JSON.stringify(d)),
  snapshotDoc.map((d) => JSON.stringify(d, null, 2)),
  fc.tuple(snapshotDoc, fc.nat(), fc.string({ maxLength: 6 })).map(([d, at, junk]) => {
    const t = JSON.stringify(d);
    const i = at % (t.length + 1);
    return t.slice(0, i) + junk + t.slice(i + (at % 3));
  }),
  fc
    .array(
      fc.constantFrom(
        '{',
        '}',
        '[',
        ']',
        ',',
        ':',
        '"',
        '\\',
        '"entities"',
        '"relations"',
        '1',
        'null',
        ' ',
        'x',
        '"vm"',
      ),
      { maxLength: 40 },
    )
    .map((a) => a.join('')),
);

/** Reads `text` as a JSON snapshot file; throws if the outcome breaks the property. */
export async function checkJson(dir: string, text: string): Promise<'read' | string> {
  const file = join(dir, 'fuzz.json');
  writeFileSync(file, text);
  let expected: unknown = undefined;
  try {
    expected = JSON.parse(text);
  } catch {
    // Not JSON: the reader must refuse it.
  }
  try {
    const doc = await readJsonSnapshot(file);
    if (expected === undefined) throw new Error(`read text JSON.parse refuses: ${text}`);
    const e = expected as { entities: Record<string, unknown[]>; relations?: unknown[] };
    for (const [type, rows] of Object.entries(e.entities)) {
      if (JSON.stringify(doc.entities[type] ?? []) !== JSON.stringify(rows)) {
        throw new Error(`entities.${type} differ from JSON.parse for ${text}`);
      }
    }
    if (JSON.stringify(doc.relations ?? []) !== JSON.stringify(e.relations ?? [])) {
      throw new Error(`relations differ from JSON.parse for ${text}`);
    }
    return 'read';
  } catch (err) {
    if (!isAppError(err)) throw err;
    return err.code;
  }
}

const cellRef = fc.oneof(
  fc.constantFrom(
    'A1',
    'B2',
    'XFD1',
    'XFE1',
    'FXSHRXW1',
    'A1048577',
    'a1',
    '1A',
    '',
    'AAAAAAAAAAAAAAAAAAAAA1',
  ),
  fc.tuple(fc.stringMatching(/^[A-Z]{1,3}$/), fc.nat(2_000_000)).map(([c, r]) => `${c}${r}`),
);
const cell = fc
  .tuple(
    cellRef,
    fc.constantFrom('s', 'str', 'inlineStr', 'n', 'b', 'e', 'd', 'x'),
    fc.string({ maxLength: 10 }),
  )
  .map(([r, t, v]) =>
    t === 'inlineStr'
      ? `<c r="${r}" t="${t}"><is><t>${v.replace(/[<&]/g, '')}</t></is></c>`
      : `<c r="${r}" t="${t}"><v>${v.replace(/[<&]/g, '')}</v></c>`,
  );
const rowXml = fc
  .tuple(
    fc.oneof(
      fc.constant(''),
      fc.nat(2_000_000).map((n) => ` r="${n}"`),
    ),
    fc.array(cell, { maxLength: 4 }),
  )
  .map(([r, cells]) => `<row${r}>${cells.join('')}</row>`);

/** Worksheet XML inside sheetData: rows, junk, escapes, stray nesting. */
export const hostileSheet: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: rowXml },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '<x>',
          '</x>',
          '&amp;',
          '&bogus;',
          '<![CDATA[a]]>',
          '<',
          '>',
          '<row>',
          '</row>',
          '<c>',
          '</sheetData>',
        ),
      },
    ),
    { maxLength: 12 },
  )
  .map((a) => a.join(''));

/** Reads a workbook whose vInfo sheet holds `sheet`; throws if the outcome breaks the property. */
export async function checkXlsx(dir: string, sheet: string): Promise<'read' | string> {
  const file = join(dir, 'fuzz.xlsx');
  writeZip(file, [...workbookParts(), sheetPart(sheet, 1)]);
  try {
    await readRvtoolsWorkbook(file);
    return 'read';
  } catch (err) {
    if (!isAppError(err)) throw err;
    return err.code;
  }
}
