import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { ZipEntryWriter } from './zip-writer.js';
import { ZipStreamWriter } from './zip-writer.js';
import type { EntityType, FieldValue } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { EntityRecord } from './records.js';
import { fieldSpec, valueAt } from './records.js';
import type { InventorySource, Lookups } from './source.js';
import { buildLookups } from './source.js';
import { csvField } from '../../shared/csv.js';

/*
 * CSV per entity type (RFC 4180: CRLF, fields quoted when they hold a quote, comma or line break,
 * quotes doubled; UTF-8, optionally with a BOM for Excel). Several types go into one zip, written
 * by our streaming zip writer (see zip-writer.ts for why not yazl or archiver).
 */

const BOM = '\ufeff';
const FLUSH = 1 << 16;

interface CsvColumn {
  readonly header: string;
  readonly get: (r: EntityRecord) => FieldValue;
}

/** endpoint, id, name, then each field; a reference is followed by the name it refers to. */
function columnsOf(source: InventorySource, type: EntityType, lookups: Lookups): CsvColumn[] {
  const cols: CsvColumn[] = [
    { header: 'endpoint', get: (r) => r.ep.name },
    { header: 'id', get: (r) => r.id },
    { header: 'name', get: (r) => r.name },
  ];
  source.fieldsOf(type).forEach((field, index) => {
    const spec = fieldSpec(type, field);
    cols.push({ header: field, get: (r) => valueAt(r, index, field) });
    const target = spec?.ref ?? spec?.refs;
    if (target && target !== 'vm' && target !== 'snapshot') {
      const label = field.replace(/Ids?$/, '') + (spec?.refs ? 'Names' : 'Name');
      cols.push({
        header: label,
        get: spec?.refs
          ? (r) => {
              const v = valueAt(r, index, field);
              return Array.isArray(v)
                ? v.map((id) => lookups.name(r.ep, target, id as string) ?? String(id))
                : null;
            }
          : (r) => lookups.name(r.ep, target, valueAt(r, index, field)),
      });
    }
  });
  return cols;
}

export interface CsvOptions {
  readonly types: readonly EntityType[];
  readonly bom: boolean;
  readonly signal?: AbortSignal;
  readonly progress?: (phase: string, done: number, total: number) => void;
}

async function writeType(
  write: (s: string) => Promise<void> | undefined,
  source: InventorySource,
  type: EntityType,
  lookups: Lookups,
  opts: CsvOptions,
  tick: (n: number) => void,
): Promise<number> {
  const cols = columnsOf(source, type, lookups);
  let buf = (opts.bom ? BOM : '') + cols.map((c) => csvField(c.header)).join(',') + '\r\n';
  let n = 0;
  for (const page of source.pages(type)) {
    if (opts.signal?.aborted) throw new AppError('CANCELLED', 'Export cancelled');
    for (const r of page) {
      let line = '';
      for (let i = 0; i < cols.length; i++) {
        if (i > 0) line += ',';
        line += csvField(cols[i]!.get(r));
      }
      buf += line + '\r\n';
      if (buf.length >= FLUSH) {
        const wait = write(buf);
        buf = '';
        if (wait) await wait;
      }
    }
    n += page.length;
    tick(page.length);
  }
  const wait = write(buf);
  if (wait) await wait;
  return n;
}

/** Writes one CSV (one type) or a zip of CSVs (several) to `file`. */
export async function writeCsvExport(
  source: InventorySource,
  file: string,
  opts: CsvOptions,
): Promise<Record<string, number>> {
  const lookups = buildLookups(source);
  const total = opts.types.reduce((s, t) => s + source.count(t), 0);
  let done = 0;
  const rows: Record<string, number> = {};
  const tick =
    (type: EntityType) =>
    (n: number): void => {
      done += n;
      opts.progress?.(type, done, total);
    };
  const out = createWriteStream(file);
  if (opts.types.length === 1) {
    const type = opts.types[0]!;
    let failed: Error | null = null;
    out.on('error', (e) => (failed ??= e));
    const closed = once(out, 'close');
    try {
      opts.progress?.(type, 0, total);
      rows[type] = await writeType(
        (s) => {
          if (failed) throw failed;
          return out.write(s) ? undefined : once(out, 'drain').then(() => undefined);
        },
        source,
        type,
        lookups,
        opts,
        tick(type),
      );
      out.end();
      await closed;
      if (failed) throw failed;
    } catch (e) {
      out.destroy();
      await closed.catch(() => undefined);
      throw e;
    }
  } else {
    const zip = new ZipStreamWriter(out);
    try {
      for (const type of opts.types) {
        // Level 1: CSV still shrinks about tenfold, and deflate no longer sets the pace.
        const entry: ZipEntryWriter = await zip.entry(`${type}.csv`, 1);
        opts.progress?.(type, done, total);
        rows[type] = await writeType(
          (s) => entry.write(s),
          source,
          type,
          lookups,
          opts,
          tick(type),
        );
        await entry.end();
      }
      await zip.finish();
    } catch (e) {
      await zip.abort();
      throw e;
    }
  }
  opts.progress?.('done', done, total);
  return rows;
}
