import { createWriteStream } from 'node:fs';
import type { ZipEntryWriter } from './zip-writer.js';
import { ZipStreamWriter } from './zip-writer.js';

/*
 * A streaming SpreadsheetML (XLSX) writer: each sheet's XML goes straight into a deflate stream
 * inside the zip, row by row, so memory stays flat however many rows there are. We write only
 * what an inventory workbook needs (inline strings, numbers, four number formats, a frozen header
 * row, an auto-filter, column widths). exceljs' WorkbookWriter, measured on the same 100,000-VM
 * workbook, took 34 s and 590 MB RSS against a budget of 15 s and 400 MB; this takes a fraction.
 */

export type CellKind = 'text' | 'int' | 'num' | 'pct' | 'date' | 'bool';

export interface SheetColumn {
  readonly header: string;
  readonly kind: CellKind;
  readonly width?: number;
}

export type CellValue = string | number | boolean | null | undefined;

const STYLE: Record<CellKind | 'header', number> = {
  text: 0,
  bool: 0,
  header: 1,
  int: 2,
  num: 3,
  pct: 4,
  date: 5,
};

/** Excel's cell text limit. */
const MAX_CELL = 32_767;
const FLUSH = 1 << 16;

const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const NS_R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const NS_PKG = 'http://schemas.openxmlformats.org/package/2006';

export function columnLetters(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const m = (n - 1) % 26;
    s = String.fromCharCode(65 + m) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

// Characters XML 1.0 cannot carry at all (C0 controls but tab, LF, CR; lone surrogates; FFFE/F).
const INVALID_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

// One test that most cells pass: nothing to escape or drop.
// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[\u0000-\u0008\u000b\u000c\u000e-\u001f&<>"\ud800-\udfff\ufffe\uffff]/;

export function xmlText(s: string): string {
  let t = s.length > MAX_CELL ? s.slice(0, MAX_CELL) : s;
  if (!NEEDS_WORK.test(t)) return t;
  t = t.replace(INVALID_XML, '');
  return /[&<>"]/.test(t) ? t.replace(/[&<>"]/g, (c) => ESCAPES[c]!) : t;
}

const isSpace = (code: number): boolean => code === 32 || code === 9 || code === 10 || code === 13;

/** Days since 1899-12-30, Excel's serial date (UTC). */
export function excelDate(iso: string): number | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms / 86_400_000 + 25_569;
}

function defaultWidth(c: SheetColumn): number {
  const base = c.kind === 'date' ? 19 : c.kind === 'text' ? 16 : 11;
  return Math.min(60, Math.max(base, c.header.length + 3));
}

interface SheetState {
  readonly name: string;
  readonly columns: readonly SheetColumn[];
  readonly letters: readonly string[];
  rows: number;
}

/**
 * Writes one workbook to `file`.
 *
 * @example
 * const w = new XlsxStreamWriter(tmpFile);
 * w.begin(['vInfo']);
 * await w.startSheet('vInfo', [{ header: 'VM', kind: 'text' }]);
 * await w.addRow(['web-01']);
 * await w.endSheet();
 * await w.finish();
 */
export class XlsxStreamWriter {
  private readonly zip: ZipStreamWriter;
  private readonly sheets: SheetState[] = [];
  private current: { state: SheetState; entry: ZipEntryWriter } | null = null;
  private buf = '';
  private names: readonly string[] = [];

  constructor(
    file: string,
    private readonly opts: { compressionLevel?: number; creator?: string; now?: Date } = {},
  ) {
    this.zip = new ZipStreamWriter(createWriteStream(file), opts.now);
  }

  /** Declares the sheets, in order, and writes the package parts that list them. */
  async begin(sheetNames: readonly string[]): Promise<void> {
    this.names = sheetNames;
    const sheetsCt = sheetNames
      .map(
        (_, i) =>
          `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
      )
      .join('');
    await this.part(
      '[Content_Types].xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="${NS_PKG}/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${sheetsCt}<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>`,
    );
    await this.part(
      '_rels/.rels',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="${NS_PKG}/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>`,
    );
    const created = (this.opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await this.part(
      'docProps/core.xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>${xmlText(this.opts.creator ?? 'Infrascope')}</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">${created}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">${created}</dcterms:modified></cp:coreProperties>`,
    );
    await this.part(
      'docProps/app.xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>${xmlText(this.opts.creator ?? 'Infrascope')}</Application></Properties>`,
    );
    await this.part(
      'xl/styles.xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="${NS}"><numFmts count="2"><numFmt numFmtId="164" formatCode="0.0"/><numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`,
    );
  }

  private part(name: string, xml: string): Promise<void> {
    return this.zip.add(name, xml, this.level);
  }

  private get level(): number {
    return this.opts.compressionLevel ?? 3;
  }

  async startSheet(name: string, columns: readonly SheetColumn[]): Promise<void> {
    if (this.current) throw new Error(`Sheet ${this.current.state.name} is still open`);
    const index = this.sheets.length;
    if (this.names[index] !== name) throw new Error(`Sheet ${name} was not declared in this order`);
    const state: SheetState = {
      name,
      columns,
      letters: columns.map((_, i) => columnLetters(i)),
      rows: 1,
    };
    this.sheets.push(state);
    const entry = await this.zip.entry(`xl/worksheets/sheet${index + 1}.xml`, this.level);
    this.current = { state, entry };
    const cols = columns
      .map(
        (c, i) =>
          `<col min="${i + 1}" max="${i + 1}" width="${c.width ?? defaultWidth(c)}" customWidth="1"/>`,
      )
      .join('');
    const header = columns
      .map(
        (c, i) =>
          `<c r="${state.letters[i]!}1" s="${STYLE.header}" t="inlineStr"><is><t>${xmlText(c.header)}</t></is></c>`,
      )
      .join('');
    this.buf += `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="${NS}" xmlns:r="${NS_R}"><sheetViews><sheetView workbookViewId="0"${index === 0 ? ' tabSelected="1"' : ''}><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>${cols.length > 0 ? `<cols>${cols}</cols>` : ''}<sheetData><row r="1">${header}</row>`;
    await this.flush();
  }

  /**
   * Adds a row of values in column order. Strings are always written as text (never a formula),
   * so a name starting with `=`, `+`, `-` or `@` cannot run in the reader's spreadsheet.
   * Returns a promise only when the zip needs the writer to wait.
   */
  addRow(values: readonly CellValue[]): Promise<void> | undefined {
    const cur = this.current;
    if (!cur) throw new Error('No sheet is open');
    const { columns, letters } = cur.state;
    const r = ++cur.state.rows;
    let xml = `<row r="${r}">`;
    for (let i = 0; i < columns.length; i++) {
      const v = values[i];
      if (v === null || v === undefined || v === '') continue;
      const kind = columns[i]!.kind;
      const ref = `${letters[i]!}${r}`;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) continue;
        xml += `<c r="${ref}" s="${STYLE[kind]}"><v>${v}</v></c>`;
      } else if (typeof v === 'boolean') {
        // RVTools writes booleans as the text True / False; tools that read its workbooks expect it.
        xml += `<c r="${ref}" t="inlineStr"><is><t>${v ? 'True' : 'False'}</t></is></c>`;
      } else if (kind === 'date') {
        const serial = excelDate(v);
        xml +=
          serial === null
            ? `<c r="${ref}" t="inlineStr"><is><t>${xmlText(v)}</t></is></c>`
            : `<c r="${ref}" s="${STYLE.date}"><v>${serial}</v></c>`;
      } else {
        const text = xmlText(v);
        const space =
          text.length > 0 &&
          (isSpace(text.charCodeAt(0)) || isSpace(text.charCodeAt(text.length - 1)))
            ? ' xml:space="preserve"'
            : '';
        xml += `<c r="${ref}" t="inlineStr"><is><t${space}>${text}</t></is></c>`;
      }
    }
    this.buf += `${xml}</row>`;
    return this.buf.length >= FLUSH ? this.flush() : undefined;
  }

  private async flush(): Promise<void> {
    const cur = this.current;
    if (!cur || this.buf.length === 0) return;
    const chunk = this.buf;
    this.buf = '';
    const wait = cur.entry.write(chunk);
    if (wait) await wait;
  }

  /** Closes the open sheet; returns its data rows. */
  async endSheet(): Promise<number> {
    const cur = this.current;
    if (!cur) throw new Error('No sheet is open');
    const { state } = cur;
    const last = columnLetters(Math.max(0, state.columns.length - 1));
    this.buf += `</sheetData>${state.columns.length > 0 ? `<autoFilter ref="A1:${last}${state.rows}"/>` : ''}<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`;
    await this.flush();
    await cur.entry.end();
    this.current = null;
    return state.rows - 1;
  }

  /** Writes the workbook part and waits until the file is on disk. */
  async finish(): Promise<void> {
    if (this.current) await this.endSheet();
    const sheets = this.sheets
      .map((s, i) => `<sheet name="${xmlText(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
      .join('');
    const filters = this.sheets
      .map((s, i) =>
        s.columns.length > 0
          ? `<definedName name="_xlnm._FilterDatabase" localSheetId="${i}" hidden="1">'${s.name}'!$A$1:$${columnLetters(s.columns.length - 1)}$${s.rows}</definedName>`
          : '',
      )
      .join('');
    await this.part(
      'xl/workbook.xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="${NS}" xmlns:r="${NS_R}"><bookViews><workbookView activeTab="0"/></bookViews><sheets>${sheets}</sheets>${filters ? `<definedNames>${filters}</definedNames>` : ''}</workbook>`,
    );
    const rels = this.sheets
      .map(
        (_, i) =>
          `<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
      )
      .join('');
    await this.part(
      'xl/_rels/workbook.xml.rels',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="${NS_PKG}/relationships">${rels}<Relationship Id="rId${this.sheets.length + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
    );
    await this.zip.finish();
  }

  /** Stops writing; the caller removes the file. */
  async abort(): Promise<void> {
    this.current = null;
    await this.zip.abort();
  }
}
