import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser } from 'saxes';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { AppError } from '../../shared/errors.js';
import type { ImportLimits } from './limits.js';
import {
  InflateBudget,
  MAX_COLUMNS,
  MAX_ROWS,
  MAX_XML_DEPTH,
  MAX_XML_RUN,
  beyondFormat,
  checkRatio,
  importLimits,
  tooLarge,
} from './limits.js';

/*
 * Reads chosen sheets of an XLSX workbook as streams of rows of plain cell values, without
 * loading the workbook. Why not ExcelJS's streaming WorkbookReader: it reads the zip front to
 * back, and when the shared strings come after the worksheets (SheetJS and many writers put
 * them last; workbooks without shared strings count too) it copies every worksheet, wanted or
 * not, into temporary files it removes only when the read ends normally or the process exits, so
 * a cancelled import would leave them behind. Here the zip's central directory (yauzl) lets us
 * open the parts in the order we need: workbook, relationships, styles, shared strings, then
 * only the wanted sheets, inflated and parsed (saxes) as they stream.
 * Hostile workbooks are refused in bounded memory: inflated bytes are counted per part and per
 * file, cell references past XFD and rows past 1,048,576 are invalid, and the shared strings, a
 * run of text and the element depth are capped (see limits.ts).
 */

/** A cell's value: what ExcelJS's cell value reduces to for a reader of values. */
export type XlsxValue = string | number | boolean | Date | null;

export interface XlsxRow {
  /** 1-based row number. */
  readonly n: number;
  /** Values by 0-based column; missing cells are holes (read them with `?? null`). */
  readonly values: XlsxValue[];
}

export interface XlsxWorkbook {
  /** Sheet names in workbook order. */
  readonly sheetNames: readonly string[];
  /** `dcterms:created` of the document properties, when present. */
  readonly created: Date | null;
  has(sheet: string): boolean;
  /** Streams the rows of `sheet` that hold at least one cell value. */
  rows(sheet: string, onRow: (row: XlsxRow) => void): Promise<void>;
  close(): void;
}

interface Tag {
  readonly name: string;
  readonly attributes: Record<string, string>;
}

const local = (name: string): string => name.slice(name.indexOf(':') + 1);

/** As ExcelJS's `isDateFmt`: a format with date or time letters outside quotes and brackets. */
function isDateFormat(code: string): boolean {
  return /[ymdhMsb]+/.test(code.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, ''));
}
/** Built-in number formats that are dates or times (ids 14-22 and 45-47). */
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47]);

/** Excel serial day to a Date, as ExcelJS's `excelToDate` does. */
function excelToDate(v: number, date1904: boolean): Date {
  const millis = Math.round((v - 25_569 + (date1904 ? 1462 : 0)) * 86_400_000);
  return new Date(millis);
}

/**
 * A copy of `s` that does not point into the parser's input chunk. V8 makes substrings as slices
 * of their parent, so one kept cell text would keep a whole 64 KiB chunk of XML alive: that held
 * the whole vInfo sheet's text in memory until the import ended.
 */
const detach = (s: string): string => (' ' + s).slice(1);

/** The 0-based column of a cell reference (`AB12` → 27); past XFD it stops counting. */
function columnOf(ref: string | undefined): number | null {
  if (!ref) return null;
  let n = 0;
  for (let i = 0; i < ref.length && n <= MAX_COLUMNS; i++) {
    const c = ref.charCodeAt(i);
    if (c >= 65 && c <= 90) n = n * 26 + (c - 64);
    else if (c >= 97 && c <= 122) n = n * 26 + (c - 96);
    else break;
  }
  return n > 0 ? n - 1 : null;
}

const cancelled = (): AppError => new AppError('CANCELLED', 'Import cancelled');

function openZip(file: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // Sizes are checked by pump()'s count, not yauzl's (whose error can leave the stream silent).
    yauzl.open(
      file,
      { lazyEntries: true, autoClose: false, validateEntrySizes: false },
      (err, zip) => {
        if (err || !zip) reject(err ?? new Error('cannot open the zip'));
        else resolve(zip);
      },
    );
  });
}

function listEntries(zip: ZipFile): Promise<Map<string, Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Entry>();
    zip.on('entry', (e: Entry) => {
      entries.set(e.fileName.toLowerCase(), e);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

/**
 * Opens `file` as an XLSX workbook: reads its directory, sheet list, styles and shared strings.
 * Throws plain errors for what is not a readable workbook, `IMPORT_TOO_LARGE` / `IMPORT_INVALID`
 * past `limits` or XLSX's own, and `CANCELLED` once `signal` aborts.
 */
export async function openXlsx(
  file: string,
  signal?: AbortSignal,
  limits: ImportLimits = importLimits(),
): Promise<XlsxWorkbook> {
  const zip = await openZip(file);
  try {
    const entries = await listEntries(zip);
    const budget = new InflateBudget(limits, 'The workbook');

    const parse = (path: string, handler: (p: SaxesParser) => void): Promise<boolean> => {
      const entry = entries.get(path.toLowerCase());
      if (!entry) return Promise.resolve(false);
      return new Promise((resolve, reject) => {
        if (signal?.aborted) {
          reject(cancelled());
          return;
        }
        // The sizes the directory declares are refused before a byte is inflated; yauzl then
        // holds the part to its declared size, and pump() counts what it really inflates.
        const what = `The part ${path} of the workbook`;
        try {
          if (entry.uncompressedSize > limits.partBytes) throw tooLarge('partBytes', limits, what);
          checkRatio(limits, entry.uncompressedSize, entry.compressedSize, what);
        } catch (e) {
          reject(e);
          return;
        }
        budget.compressed += entry.compressedSize;
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) {
            reject(err ?? new Error(`cannot read ${path}`));
            return;
          }
          let part = 0;
          const count = (n: number): void => {
            part += n;
            if (part > limits.partBytes) throw tooLarge('partBytes', limits, what);
            if (part > entry.uncompressedSize) {
              throw beyondFormat(`${what} inflates to more than its directory declares`, {
                limit: 'declared',
                value: entry.uncompressedSize,
              });
            }
            budget.add(n);
          };
          pump(stream, handler, signal, count).then(() => resolve(true), reject);
        });
      });
    };

    // The workbook part, found through the package relationships (xl/workbook.xml in practice).
    let workbookPath = 'xl/workbook.xml';
    await parse('_rels/.rels', (p) =>
      p.on('opentag', (t: Tag) => {
        if (
          local(t.name) === 'Relationship' &&
          /\/officeDocument$/.test(t.attributes['Type'] ?? '')
        ) {
          workbookPath = (t.attributes['Target'] ?? workbookPath).replace(/^\//, '');
        }
      }),
    );
    const sheetRefs: { name: string; rid: string }[] = [];
    let date1904 = false;
    const hasWorkbook = await parse(workbookPath, (p) =>
      p.on('opentag', (t: Tag) => {
        const n = local(t.name);
        if (n === 'sheet') {
          const rid = Object.entries(t.attributes).find(([k]) => local(k) === 'id')?.[1];
          sheetRefs.push({ name: t.attributes['name'] ?? '', rid: rid ?? '' });
        } else if (n === 'workbookPr') {
          const v = t.attributes['date1904'];
          date1904 = v === '1' || v === 'true';
        }
      }),
    );
    if (!hasWorkbook) throw new Error(`the zip has no ${workbookPath}`);

    const dir = posix.dirname(workbookPath);
    const resolvePart = (target: string): string =>
      target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join(dir, target));
    const rels = new Map<string, string>();
    let stylesPath = posix.join(dir, 'styles.xml');
    let stringsPath = posix.join(dir, 'sharedStrings.xml');
    await parse(posix.join(dir, '_rels', `${posix.basename(workbookPath)}.rels`), (p) =>
      p.on('opentag', (t: Tag) => {
        if (local(t.name) !== 'Relationship') return;
        const target = resolvePart(t.attributes['Target'] ?? '');
        const type = t.attributes['Type'] ?? '';
        rels.set(t.attributes['Id'] ?? '', target);
        if (type.endsWith('/styles')) stylesPath = target;
        if (type.endsWith('/sharedStrings')) stringsPath = target;
      }),
    );

    // Which cell styles (cellXfs indexes) format numbers as dates.
    const customFormats = new Map<number, string>();
    const dateStyles: boolean[] = [];
    let inCellXfs = false;
    await parse(stylesPath, (p) => {
      p.on('opentag', (t: Tag) => {
        const n = local(t.name);
        if (n === 'numFmt') {
          customFormats.set(Number(t.attributes['numFmtId']), t.attributes['formatCode'] ?? '');
        } else if (n === 'cellXfs') inCellXfs = true;
        else if (n === 'xf' && inCellXfs) {
          const id = Number(t.attributes['numFmtId'] ?? '0');
          const custom = customFormats.get(id);
          dateStyles.push(
            custom !== undefined ? isDateFormat(custom) : BUILTIN_DATE_FORMATS.has(id),
          );
        }
      });
      p.on('closetag', (t: Tag) => {
        if (local(t.name) === 'cellXfs') inCellXfs = false;
      });
    });

    // Shared strings: rich text runs joined, phonetic runs left out.
    const strings: string[] = [];
    {
      let held = 0;
      let text = '';
      let inText = false;
      let phonetic = 0;
      await parse(stringsPath, (p) => {
        p.on('opentag', (t: Tag) => {
          const n = local(t.name);
          if (n === 'si') text = '';
          else if (n === 'rPh') phonetic++;
          else if (n === 't' && phonetic === 0) inText = true;
        });
        p.on('text', (s: string) => {
          if (inText) text = capped(text + s);
        });
        p.on('closetag', (t: Tag) => {
          const n = local(t.name);
          if (n === 't') inText = false;
          else if (n === 'rPh') phonetic--;
          else if (n === 'si') {
            held += text.length;
            if (held > limits.sharedStringBytes) {
              throw tooLarge('sharedStringBytes', limits, 'The workbook');
            }
            strings.push(detach(text));
          }
        });
      });
    }

    let created: Date | null = null;
    await parse('docProps/core.xml', (p) => {
      let inCreated = false;
      p.on('opentag', (t: Tag) => {
        inCreated = local(t.name) === 'created';
      });
      p.on('text', (s: string) => {
        const d = new Date(s.trim());
        if (inCreated && !Number.isNaN(d.getTime())) created = d;
      });
      p.on('closetag', () => {
        inCreated = false;
      });
    });

    const sheetPaths = new Map<string, string>();
    for (const s of sheetRefs) {
      const path = rels.get(s.rid);
      if (path !== undefined && !sheetPaths.has(s.name)) sheetPaths.set(s.name, path);
    }

    const rows = async (sheet: string, onRow: (row: XlsxRow) => void): Promise<void> => {
      const path = sheetPaths.get(sheet);
      if (path === undefined) return;
      let rowN = 0;
      let values: XlsxValue[] = [];
      let hasValue = false;
      let col = -1;
      let type = 'n';
      let dateStyle = false;
      let text: string | null = null;
      let inValue = false;
      let inInline = false;
      let phonetic = 0;
      let count = 0;
      const found = await parse(path, (p) => {
        p.on('opentag', (t: Tag) => {
          switch (local(t.name)) {
            case 'row': {
              const r = Number(t.attributes['r']);
              rowN = Number.isInteger(r) && r > 0 ? r : rowN + 1;
              if (rowN > MAX_ROWS || ++count > MAX_ROWS) {
                throw beyondFormat(
                  `The sheet ${sheet} has more than ${MAX_ROWS.toLocaleString('en-US')} rows, XLSX's limit`,
                  { limit: 'rows', value: MAX_ROWS, sheet },
                );
              }
              values = [];
              hasValue = false;
              col = -1;
              break;
            }
            case 'c': {
              col = columnOf(t.attributes['r']) ?? col + 1;
              if (col >= MAX_COLUMNS) {
                throw beyondFormat(
                  `The sheet ${sheet} has a cell past column XFD (${MAX_COLUMNS.toLocaleString('en-US')}), XLSX's limit`,
                  { limit: 'columns', value: MAX_COLUMNS, sheet },
                );
              }
              type = t.attributes['t'] ?? 'n';
              dateStyle = dateStyles[Number(t.attributes['s'] ?? '0')] === true;
              text = null;
              break;
            }
            case 'v':
              inValue = true;
              text ??= '';
              break;
            case 'is':
              inInline = true;
              text ??= '';
              break;
            case 'rPh':
              phonetic++;
              break;
            case 't':
              if (inInline && phonetic === 0) inValue = true;
              break;
          }
        });
        p.on('text', (s: string) => {
          if (inValue) text = capped(text + s);
        });
        p.on('closetag', (t: Tag) => {
          switch (local(t.name)) {
            case 'v':
            case 't':
              inValue = false;
              break;
            case 'is':
              inInline = false;
              break;
            case 'rPh':
              phonetic--;
              break;
            case 'c': {
              if (text === null) break;
              hasValue = true;
              values[col] = cellOf(type, text, dateStyle, date1904, strings);
              break;
            }
            case 'row':
              if (hasValue) onRow({ n: rowN, values });
              break;
          }
        });
      });
      if (!found) throw new Error(`the sheet ${sheet} is missing from the zip`);
    };

    return {
      sheetNames: sheetRefs.map((s) => s.name),
      created,
      has: (sheet) => sheetPaths.has(sheet),
      rows,
      close: () => zip.close(),
    };
  } catch (e) {
    zip.close();
    throw e;
  }
}

/** `text`, unless it grew past what any cell holds (pieces of text joined across events). */
function capped(text: string): string {
  if (text.length > MAX_XML_RUN) {
    throw beyondFormat(`A cell of the workbook holds more than ${MAX_XML_RUN} characters`, {
      limit: 'text',
      value: MAX_XML_RUN,
    });
  }
  return text;
}

function cellOf(
  type: string,
  text: string,
  dateStyle: boolean,
  date1904: boolean,
  strings: readonly string[],
): XlsxValue {
  switch (type) {
    case 's':
      return strings[Number(text)] ?? null;
    case 'str':
    case 'inlineStr':
      return detach(text);
    case 'b':
      return Number(text) !== 0;
    case 'e':
      return null;
    case 'd': {
      const d = new Date(text);
      return Number.isNaN(d.getTime()) ? detach(text) : d;
    }
    default: {
      if (text.trim() === '') return null;
      const n = Number(text);
      if (!Number.isFinite(n)) return detach(text);
      return dateStyle ? excelToDate(n, date1904) : n;
    }
  }
}

/**
 * Feeds a part's inflated bytes to a fresh parser; stops with `CANCELLED` once `signal` aborts.
 * `count` hears each chunk's size (and throws past a limit); a run of text without a tag longer
 * than {@link MAX_XML_RUN} and nesting deeper than {@link MAX_XML_DEPTH} are refused, since the
 * parser would hold them whole.
 */
function pump(
  stream: Readable,
  setup: (p: SaxesParser) => void,
  signal: AbortSignal | undefined,
  count: (bytes: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const parser = new SaxesParser();
    // saxes keeps one handler per event: the depth count wraps the handlers `setup` sets.
    const register = parser.on.bind(parser) as (n: string, h: (t: Tag) => void) => void;
    let onOpen: ((t: Tag) => void) | undefined;
    let onClose: ((t: Tag) => void) | undefined;
    parser.on = ((name: string, handler: (t: Tag) => void): void => {
      if (name === 'opentag') onOpen = handler;
      else if (name === 'closetag') onClose = handler;
      else register(name, handler);
    }) as typeof parser.on;
    setup(parser);
    let depth = 0;
    register('opentag', (t) => {
      if (++depth > MAX_XML_DEPTH) {
        throw beyondFormat(`The workbook nests elements deeper than ${MAX_XML_DEPTH}`, {
          limit: 'depth',
          value: MAX_XML_DEPTH,
        });
      }
      onOpen?.(t);
    });
    register('closetag', (t) => {
      depth--;
      onClose?.(t);
    });
    const decoder = new StringDecoder('utf8');
    let run = 0;
    let failed = false;
    const fail = (e: unknown): void => {
      if (failed) return;
      failed = true;
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    const onAbort = (): void => fail(cancelled());
    signal?.addEventListener('abort', onAbort, { once: true });
    parser.on('error', fail);
    stream.on('data', (bytes: Buffer) => {
      if (failed) return;
      try {
        count(bytes.length);
        const chunk = decoder.write(bytes);
        const first = chunk.indexOf('<');
        if (run + (first < 0 ? chunk.length : first) > MAX_XML_RUN) {
          throw beyondFormat(`The workbook has a text or tag longer than ${MAX_XML_RUN} bytes`, {
            limit: 'text',
            value: MAX_XML_RUN,
          });
        }
        run = first < 0 ? run + chunk.length : chunk.length - chunk.lastIndexOf('<') - 1;
        parser.write(chunk);
      } catch (e) {
        fail(e);
      }
    });
    stream.on('error', fail);
    stream.on('end', () => {
      if (failed) return;
      try {
        parser.write(decoder.end());
        parser.close();
      } catch (e) {
        fail(e);
        return;
      }
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
