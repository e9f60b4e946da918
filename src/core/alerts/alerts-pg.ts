import type { Kysely } from 'kysely';
import { CompiledQuery } from 'kysely';
import type { Database } from '../store/schema.js';
import type { AlertIo, OpenAlert } from './engine.js';
import { HISTORY_SQL, OPEN_SQL, RAISE_SQL, RECENTLY_CLEARED_SQL } from './engine.js';

/*
 * The alert reconciliation's statements on PostgreSQL: the open and recently cleared alerts are
 * read first, the synchronous pass queues its statements, and they go out in order inside the
 * evaluation's transaction. New alerts get ids drawn from the table's sequence up front (one per
 * condition at most; unused ones are gaps, as a rolled-back insert leaves), so a history row can
 * name its alert before anything was sent.
 *
 * The new alerts and the history rows go out as one insert per few thousand rows, each column bound
 * as an array and `unnest`ed: a first sync of 5,000 vcsim VMs raises ~10,000 alerts, and one round
 * trip per row (two per alert) made the rule pass 10–20× SQLite's; multi-row VALUES lists of
 * 13,000 parameters still spent ~1 s building, binding and planning them. New alerts first (the
 * history names them), then the updates in their order (they touch only alerts that existed
 * before the pass), then every history row, in the order the pass wrote them (so their ids still
 * follow it).
 */

type Param = string | number | null;

/** `?` placeholders as PostgreSQL's `$1, $2, …` (the engine's statements hold no literal `?`). */
function numbered(text: string, from = 1): string {
  let n = from - 1;
  return text.replace(/\?/g, () => `$${++n}`);
}

/** Rows per insert: arrays keep the statement at one parameter a column whatever the count. */
const ROWS_PER_INSERT = 5000;

/**
 * `INSERT INTO t (cols) VALUES (tuple)` as `INSERT INTO t (cols) SELECT … FROM unnest($1::type[],
 * …)`: each `?` of the tuple becomes a column of arrays of the given type; literals stay.
 */
function unnested(text: string, types: readonly string[]): string {
  const at = text.lastIndexOf('VALUES');
  const tuple = text
    .slice(at + 'VALUES'.length)
    .trim()
    .replace(/^\(|\)$/g, '')
    .split(',')
    .map((v) => v.trim());
  let n = 0;
  const picks = tuple.map((v) => (v === '?' ? `u.c${n++}` : v));
  if (n !== types.length) throw new Error(`alerts-pg: ${n} parameters, ${types.length} types`);
  const arrays = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  const names = types.map((_, i) => `c${i}`).join(', ');
  return `${text.slice(0, at)}SELECT ${picks.join(', ')} FROM unnest(${arrays}) AS u(${names})`;
}

/** RAISE_SQL's parameters with the id first, and HISTORY_SQL's, as column types. */
const RAISE_TYPES = ['bigint', 'text', 'text', 'bigint', ...Array<string>(9).fill('text')];
const HISTORY_TYPES = ['bigint', 'text', 'text', 'text'];

export interface PostgresAlertIo extends AlertIo {
  flush(): Promise<void>;
}

export async function postgresAlertIo(
  trx: Kysely<Database>,
  endpointId: number,
  foldSince: string,
  maxRaises: number,
): Promise<PostgresAlertIo> {
  const exec = async <R>(text: string, params: readonly unknown[]): Promise<R[]> =>
    (await trx.executeQuery<R>(CompiledQuery.raw(numbered(text), [...params]))).rows;
  const open = await exec<OpenAlert>(OPEN_SQL, [endpointId]);
  const cleared = await exec<{ id: number; alert_key: string | null; count: number }>(
    RECENTLY_CLEARED_SQL,
    [endpointId, foldSince],
  );
  const ids =
    maxRaises === 0
      ? []
      : (
          await exec<{ id: number }>(
            `SELECT nextval(pg_get_serial_sequence('alert', 'id')) AS id FROM generate_series(1, ?)`,
            [maxRaises],
          )
        ).map((r) => r.id);
  const queue: [string, readonly unknown[]][] = [];
  const raises: (readonly unknown[])[] = [];
  const histories: (readonly unknown[])[] = [];
  const insertAll = async (
    text: string,
    types: readonly string[],
    rows: readonly (readonly unknown[])[],
  ): Promise<void> => {
    const statement = unnested(text, types);
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const part = rows.slice(i, i + ROWS_PER_INSERT);
      await exec(
        statement,
        types.map((_, c) => part.map((r) => r[c])),
      );
    }
  };
  const raiseWithId = RAISE_SQL.replace('INSERT INTO alert (', 'INSERT INTO alert (id, ').replace(
    'VALUES (',
    'VALUES (?, ',
  );
  return {
    open,
    cleared,
    run(text, params) {
      if (text === HISTORY_SQL) histories.push(params);
      else queue.push([text, params]);
    },
    raise(params: readonly Param[]) {
      const id = ids.shift();
      if (id === undefined) throw new Error('alerts-pg: more raises than conditions');
      raises.push([id, ...params]);
      return id;
    },
    each(list, text, params) {
      if (list.length === 0) return;
      // One statement for the whole list: `IN (…)` becomes `= ANY(array)`.
      const sql = text('@ids').replace('IN (@ids)', '= ANY(?::bigint[])');
      queue.push([sql, [...params, [...list]]]);
    },
    async flush() {
      await insertAll(raiseWithId, RAISE_TYPES, raises);
      for (const [text, params] of queue) await exec(text, params);
      await insertAll(HISTORY_SQL, HISTORY_TYPES, histories);
    },
  };
}
