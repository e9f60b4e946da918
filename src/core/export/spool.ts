import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntityType, FieldValue } from '../../shared/entities.js';
import { ENTITY_TYPES } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { EntityRecord, SourceEndpoint } from './records.js';
import { ValuesRecord } from './records.js';
import type { AsyncSource } from './source-pg.js';
import type { InventorySource, SourceAlert } from './source.js';
import { PAGE } from './source.js';

/*
 * The exporters read a synchronous source page by page (their sheets are generators). A source
 * that can only be read asynchronously (a PostgreSQL store's) is first copied into a private
 * temporary SQLite file and read back from there: memory stays flat however large the inventory,
 * the store's read transaction lasts only as long as the copy, and the exporters stay one code
 * path for both engines. The file goes when the source is closed.
 */

interface Spooled {
  readonly names: readonly string[];
  readonly count: number;
}

/** Copies `source` into a temporary file and returns it as a synchronous source. */
export async function spoolSource(
  source: AsyncSource,
  opts: { signal?: AbortSignal | undefined; types?: readonly EntityType[] } = {},
): Promise<InventorySource> {
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-spool-'));
  const db = new BetterSqlite3(join(dir, 'spool.db'));
  const close = (): void => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // A scratch copy: losing it to a crash loses nothing.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec(
      'CREATE TABLE spool (type TEXT NOT NULL, seq INTEGER NOT NULL, ep INTEGER NOT NULL, native_id TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (type, seq)) WITHOUT ROWID',
    );
    const epIndex = new Map<SourceEndpoint, number>(source.endpoints.map((e, i) => [e, i]));
    const extra: SourceEndpoint[] = [];
    const indexOf = (ep: SourceEndpoint): number => {
      let i = epIndex.get(ep);
      if (i === undefined) {
        i = source.endpoints.length + extra.length;
        extra.push(ep);
        epIndex.set(ep, i);
      }
      return i;
    };
    const insert = db.prepare(
      'INSERT INTO spool (type, seq, ep, native_id, name, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const spooled = new Map<EntityType, Spooled>();
    for (const type of opts.types ?? ENTITY_TYPES) {
      const names = source.fieldsOf(type);
      let seq = 0;
      for await (const page of source.pages(type)) {
        db.transaction(() => {
          for (const r of page) {
            const values = r.values ?? names.map((f) => r.fields[f] ?? null);
            insert.run(type, seq++, indexOf(r.ep), r.id, r.name, JSON.stringify(values));
          }
        })();
        if (opts.signal?.aborted) throw new AppError('CANCELLED', 'Export cancelled');
      }
      spooled.set(type, { names, count: seq });
    }
    const alerts: readonly SourceAlert[] | null = source.alerts ? await source.alerts() : null;
    const eps = [...source.endpoints, ...extra];
    const page = db.prepare(
      `SELECT seq, ep, native_id, name, data FROM spool WHERE type = ? AND seq > ? ORDER BY seq LIMIT ${PAGE}`,
    );
    return {
      label: source.label,
      createdAt: source.createdAt,
      endpoints: source.endpoints,
      fieldsOf: (type) => spooled.get(type)?.names ?? source.fieldsOf(type),
      count: (type) => spooled.get(type)?.count ?? 0,
      *pages(type) {
        const s = spooled.get(type);
        if (!s) return;
        let after = -1;
        for (;;) {
          const rows = page.all(type, after) as {
            seq: number;
            ep: number;
            native_id: string;
            name: string;
            data: string;
          }[];
          if (rows.length === 0) return;
          after = rows[rows.length - 1]!.seq;
          yield rows.map(
            (r): EntityRecord =>
              new ValuesRecord(
                type,
                eps[r.ep]!,
                r.native_id,
                r.name,
                JSON.parse(r.data) as FieldValue[],
                s.names,
              ),
          );
          if (rows.length < PAGE) return;
        }
      },
      ...(alerts ? { alerts: () => alerts } : {}),
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}
