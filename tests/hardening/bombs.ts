/**
 * Hostile import files, built without holding what they inflate to: a minimal zip writer (a
 * workbook of chosen parts, each deflated from a repeated chunk as it streams) and multi-member
 * gzip files (gzip members may be concatenated; one small member compresses 1 MiB). Shared by the
 * bomb tests (import-bombs.test.ts) and the readers' fuzz targets.
 */
import { writeFileSync } from 'node:fs';
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';

/** A zip part: its bytes as a prefix, `repeat` copies of a chunk, and a suffix. */
export interface Part {
  readonly name: string;
  readonly prefix: string;
  readonly chunk?: string;
  readonly repeat?: number;
  readonly suffix?: string;
  /** Declare this uncompressed size in the directory instead of the true one. */
  readonly declare?: number;
}

/**
 * Deflates prefix + chunk × repeat + suffix without building it: the chunk is deflated once per
 * block of copies and the blocks are joined with sync flushes (a deflate stream may be cut at a
 * byte boundary after a full flush and continued by another compressor's output).
 */
function deflatePart(p: Part): { data: Buffer; crc: number; size: number } {
  const repeat = p.chunk ? (p.repeat ?? 0) : 0;
  const per = Math.max(1, Math.min(repeat, 4096));
  const pieces: Buffer[] = [];
  let crc = 0;
  let size = 0;
  const add = (b: Buffer, deflated?: Buffer): void => {
    if (b.length === 0) return;
    pieces.push(deflated ?? deflateRawSync(b, { level: 9, finishFlush: constants.Z_SYNC_FLUSH }));
    crc = crc32(b, crc);
    size += b.length;
  };
  add(Buffer.from(p.prefix));
  const block = Buffer.from((p.chunk ?? '').repeat(per));
  const deflated = deflateRawSync(block, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  for (let i = 0; i < Math.floor(repeat / per); i++) add(block, deflated);
  add(Buffer.from((p.chunk ?? '').repeat(repeat % per)));
  add(Buffer.from(p.suffix ?? ''));
  // An empty final block ends the stream.
  pieces.push(deflateRawSync(Buffer.alloc(0)));
  return { data: Buffer.concat(pieces), crc, size };
}

/** Writes a zip of `parts` (deflated) to `file`. */
export function writeZip(file: string, parts: readonly Part[]): void {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const { data, crc, size } = deflatePart(p);
    const name = Buffer.from(p.name);
    const declared = p.declare ?? size;
    // The local header and the directory record share the fields from the method on, at +2.
    const header = (size: number, sig: number, at: number): Buffer => {
      const b = Buffer.alloc(size);
      b.writeUInt32LE(sig, 0);
      b.writeUInt16LE(20, 4);
      b.writeUInt16LE(20, 6);
      b.writeUInt16LE(8, at);
      b.writeUInt32LE(crc >>> 0, at + 6);
      b.writeUInt32LE(data.length, at + 10);
      b.writeUInt32LE(Math.min(declared, 0xffffffff), at + 14);
      b.writeUInt16LE(name.length, at + 18);
      return b;
    };
    const h = header(30, 0x04034b50, 8);
    h.writeUInt16LE(0, 6);
    local.push(h, name, data);
    const c = header(46, 0x02014b50, 10);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += h.length + name.length + data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(file, Buffer.concat([...local, dir, end]));
}

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';

/** The parts every workbook needs: one sheet, vInfo, at xl/worksheets/sheet1.xml. */
export function workbookParts(withStrings = false): Part[] {
  return [
    {
      name: 'xl/workbook.xml',
      prefix: `<workbook ${NS} ${RNS}><sheets><sheet name="vInfo" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      prefix:
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>' +
        (withStrings
          ? '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
          : '') +
        '</Relationships>',
    },
  ];
}

/** A vInfo sheet part: a header row with a VM column, then `chunk` × `repeat` inside sheetData. */
export function sheetPart(chunk: string, repeat: number, header?: string): Part {
  return {
    name: 'xl/worksheets/sheet1.xml',
    prefix:
      `<worksheet ${NS}><sheetData>` +
      (header ?? '<row r="1"><c r="A1" t="inlineStr"><is><t>VM</t></is></c></row>'),
    chunk,
    repeat,
    suffix: '</sheetData></worksheet>',
  };
}

/** A gzip file of prefix + chunk × repeat + suffix: one member per MiB-ish block of copies. */
export function writeGzipBomb(
  file: string,
  prefix: string,
  chunk: string,
  repeat: number,
  suffix: string,
): void {
  const per = Math.max(1, Math.floor(2 ** 20 / Math.max(1, chunk.length)));
  const member = gzipSync(chunk.repeat(Math.min(per, repeat)), { level: 9 });
  const members: Buffer[] = [gzipSync(prefix)];
  let left = repeat;
  while (left >= per) {
    members.push(member);
    left -= per;
  }
  if (left > 0) members.push(gzipSync(chunk.repeat(left)));
  members.push(gzipSync(suffix));
  writeFileSync(file, Buffer.concat(members));
}

/** The head of a JSON snapshot, up to the opening of `entities.vm`. */
export const SNAPSHOT_HEAD =
  '{"format":"infrascope-snapshot","schemaVersion":1,"createdAt":"2026-12-01T00:00:00.000Z",' +
  '"endpoints":[{"key":"e1","name":"vc1","kind":"vcenter","host":"vc1","port":null}],' +
  '"fields":{"vm":[]},"entities":{"vm":[';
