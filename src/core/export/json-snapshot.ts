import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import { z } from 'zod';
import { endpointAboutSchema } from '../../shared/endpoints.js';
import type { EntityType, FieldValue } from '../../shared/entities.js';
import { ENTITY_TYPES } from '../../shared/entities.js';
import { AppError, isAppError } from '../../shared/errors.js';
import { JsonSnapshotSplitter } from '../snapshots/json-stream.js';
import type { ImportLimits } from '../snapshots/limits.js';
import { InflateBudget, importLimits } from '../snapshots/limits.js';
import type { EntityRecord, SourceEndpoint } from './records.js';
import { fieldSpec, valueAt } from './records.js';
import type { InventorySource } from './source.js';
import { PAGE } from './source.js';

/*
 * The JSON snapshot: one gzip file with a schema version, the endpoints (name, kind, host, port:
 * never a username, password or certificate), every entity as a compact row under a per-type
 * field list, and the relations. Another machine imports it read-only, or restores it into an
 * empty data directory to browse someone else's inventory offline.
 */

export const SNAPSHOT_FORMAT = 'infrascope-snapshot';
export const SNAPSHOT_SCHEMA_VERSION = 1;

const FLUSH = 1 << 16;

export interface JsonExportOptions {
  readonly appVersion: string;
  readonly label?: string | null;
  readonly anonymized?: boolean;
  readonly signal?: AbortSignal;
  readonly progress?: (phase: string, done: number, total: number) => void;
  readonly gzipLevel?: number;
}

/** Writes the gzip JSON snapshot of `source` to `file`. */
export async function writeJsonSnapshot(
  source: InventorySource,
  file: string,
  opts: JsonExportOptions,
): Promise<Record<string, number>> {
  const gz = createGzip({ level: opts.gzipLevel ?? 6 });
  const out = createWriteStream(file);
  gz.pipe(out);
  const closed = finished(out);
  closed.catch(() => undefined);
  let buf = '';
  const push = async (s: string): Promise<void> => {
    buf += s;
    if (buf.length >= FLUSH) {
      const chunk = buf;
      buf = '';
      if (!gz.write(chunk)) await once(gz, 'drain');
    }
  };
  const total = ENTITY_TYPES.reduce((s, t) => s + source.count(t), 0);
  let done = 0;
  const rows: Record<string, number> = {};
  const relations: string[] = [];
  try {
    const endpoints = source.endpoints.map((e) => ({
      key: e.key,
      name: e.name,
      kind: e.kind,
      host: e.host,
      port: e.port,
      about: e.about ?? null,
    }));
    const fields = Object.fromEntries(ENTITY_TYPES.map((t) => [t, source.fieldsOf(t)]));
    await push(
      `{"format":${JSON.stringify(SNAPSHOT_FORMAT)},"schemaVersion":${SNAPSHOT_SCHEMA_VERSION},` +
        `"app":${JSON.stringify(`Infrascope ${opts.appVersion}`)},"createdAt":${JSON.stringify(source.createdAt)},` +
        `"label":${JSON.stringify(opts.label ?? source.label ?? null)},"anonymized":${opts.anonymized === true},` +
        `"endpoints":${JSON.stringify(endpoints)},"fields":${JSON.stringify(fields)},"entities":{`,
    );
    let firstType = true;
    for (const type of ENTITY_TYPES) {
      const names = source.fieldsOf(type);
      const refs = names.map((f, i) => [f, i] as const).filter(([f]) => fieldSpec(type, f)?.refs);
      await push(`${firstType ? '' : ','}${JSON.stringify(type)}:[`);
      firstType = false;
      let n = 0;
      opts.progress?.(type, done, total);
      for (const page of source.pages(type)) {
        if (opts.signal?.aborted) throw new AppError('CANCELLED', 'Export cancelled');
        for (const r of page) {
          const row: FieldValue[] = [r.ep.key, r.id, r.name];
          for (let i = 0; i < names.length; i++) row.push(valueAt(r, i, names[i]!));
          await push(`${n === 0 ? '' : ','}${JSON.stringify(row)}`);
          n++;
          for (const [f, i] of refs) {
            const to = valueAt(r, i, f);
            if (!Array.isArray(to)) continue;
            for (const t of new Set(to)) {
              relations.push(JSON.stringify([r.ep.key, `${type}.${f}`, r.id, t]));
            }
          }
        }
        done += page.length;
        opts.progress?.(type, done, total);
      }
      rows[type] = n;
      await push(']');
    }
    await push('},"relations":[');
    for (let i = 0; i < relations.length; i++) await push(`${i === 0 ? '' : ','}${relations[i]!}`);
    await push(']}\n');
    gz.end(buf);
    await closed;
  } catch (e) {
    gz.destroy();
    out.destroy();
    await closed.catch(() => undefined);
    throw e;
  }
  opts.progress?.('done', done, total);
  return rows;
}

const documentSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  schemaVersion: z.number().int(),
  createdAt: z.string(),
  label: z.string().nullable().optional(),
  anonymized: z.boolean().optional(),
  endpoints: z.array(
    z.object({
      key: z.string(),
      name: z.string(),
      kind: z.string(),
      host: z.string(),
      port: z.number().nullable(),
      about: endpointAboutSchema.nullable().optional(),
    }),
  ),
  fields: z.record(z.string(), z.array(z.string())),
  entities: z.record(z.string(), z.array(z.array(z.unknown()).min(3))),
  relations: z.array(z.tuple([z.string(), z.string(), z.string(), z.string()])).optional(),
});

export type SnapshotDocument = z.infer<typeof documentSchema>;

const headerSchema = documentSchema.omit({ entities: true, relations: true });
const rowSchema = z.array(z.unknown()).min(3);
const relationSchema = z.tuple([z.string(), z.string(), z.string(), z.string()]);

/**
 * Reads and checks a JSON snapshot (gzip, or plain JSON) as it streams: the inflated text is never
 * held (rows are cut out and parsed one by one), and inflated bytes are counted against `limits`.
 * Errors: `VALIDATION` for what is not a snapshot, `IMPORT_TOO_LARGE` / `IMPORT_INVALID` past a
 * limit.
 */
export async function readJsonSnapshot(
  file: string,
  limits: ImportLimits = importLimits(),
): Promise<SnapshotDocument> {
  const header: Record<string, unknown> = {};
  const entities: Record<string, unknown[][]> = {};
  const relations: [string, string, string, string][] = [];
  const notSnapshot = (why: string): AppError =>
    new AppError('VALIDATION', `${file} is not an Infrascope JSON snapshot: ${why}`);
  const sections = new Set<string>();
  const splitter = new JsonSnapshotSplitter({
    section: (key) => {
      if (sections.has(key)) throw notSnapshot(`${key} appears twice`);
      sections.add(key);
    },
    field: (key, value) => {
      if (key === 'entities' || key === 'relations') throw notSnapshot(`${key} has the wrong type`);
      header[key] = value;
    },
    entity: (type, row) => {
      const r = rowSchema.safeParse(row);
      if (!r.success) throw notSnapshot(`a row of entities.${type} is not an array of 3 or more`);
      (entities[type] ??= []).push(r.data);
    },
    relation: (item) => {
      const r = relationSchema.safeParse(item);
      if (!r.success) throw notSnapshot('a relation is not 4 strings');
      relations.push(r.data);
    },
  });
  const budget = new InflateBudget(limits, `${basename(file)}`);
  try {
    const head = await readHead(file);
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    const raw = createReadStream(file);
    raw.on('data', (b) => {
      budget.compressed += b.length;
    });
    const stream = gzip ? raw.pipe(createGunzip()) : raw;
    const decoder = new StringDecoder('utf8');
    try {
      for await (const chunk of stream) {
        const bytes = chunk as Buffer;
        budget.add(bytes.length);
        splitter.write(decoder.write(bytes));
      }
      splitter.write(decoder.end());
      splitter.end();
    } finally {
      raw.destroy();
      stream.destroy();
    }
  } catch (e) {
    if (isAppError(e)) {
      if (e.code !== 'VALIDATION') throw e;
      throw e.message.startsWith('is not') ? new AppError('VALIDATION', `${file} ${e.message}`) : e;
    }
    throw new AppError('VALIDATION', `Cannot read ${file}: ${(e as Error).message}`);
  }
  const doc = headerSchema.safeParse(header);
  if (!sections.has('entities')) throw notSnapshot('entities: Required');
  if (!doc.success) {
    throw notSnapshot(
      doc.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; '),
    );
  }
  if (doc.data.schemaVersion > SNAPSHOT_SCHEMA_VERSION) {
    throw new AppError(
      'VALIDATION',
      `${file} was written by a newer Infrascope (snapshot schema ${doc.data.schemaVersion}); update the app`,
    );
  }
  return { ...doc.data, entities, relations };
}

async function readHead(file: string): Promise<Buffer> {
  const stream = createReadStream(file, { start: 0, end: 1 });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** An inventory source over a parsed document. Unknown types and fields are ignored. */
export function documentSource(doc: SnapshotDocument): InventorySource {
  const endpoints: SourceEndpoint[] = doc.endpoints.map((e) => ({ ...e }));
  const byKey = new Map(endpoints.map((e) => [e.key, e]));
  const fieldsOf = (type: EntityType): readonly string[] =>
    (doc.fields[type] ?? []).filter((f) => fieldSpec(type, f) !== undefined);
  return {
    label: doc.label ?? null,
    createdAt: doc.createdAt,
    endpoints,
    fieldsOf,
    count: (type) => doc.entities[type]?.length ?? 0,
    *pages(type) {
      const all = doc.entities[type] ?? [];
      const names = doc.fields[type] ?? [];
      const known = new Set(fieldsOf(type));
      for (let i = 0; i < all.length; i += PAGE) {
        yield all.slice(i, i + PAGE).map((row): EntityRecord => {
          const ep = byKey.get(String(row[0]));
          if (!ep)
            throw new AppError('VALIDATION', `Entity ${String(row[1])} names an unknown endpoint`);
          const fields: Record<string, FieldValue> = {};
          names.forEach((f, j) => {
            if (known.has(f)) fields[f] = (row[j + 3] ?? null) as FieldValue;
          });
          return { type, ep, id: String(row[1]), name: String(row[2]), fields };
        });
      }
    },
    close: () => undefined,
  };
}
