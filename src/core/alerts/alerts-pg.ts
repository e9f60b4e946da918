import type { Kysely } from 'kysely';
import { CompiledQuery } from 'kysely';
import type { Database } from '../store/schema.js';
import type { AlertIo, OpenAlert } from './engine.js';
import { OPEN_SQL, RAISE_SQL, RECENTLY_CLEARED_SQL } from './engine.js';

/*
 * The alert reconciliation's statements on PostgreSQL: the open and recently cleared alerts are
 * read first, the synchronous pass queues its statements, and they go out in order inside the
 * evaluation's transaction. New alerts get ids drawn from the table's sequence up front (one per
 * condition at most; unused ones are gaps, as a rolled-back insert leaves), so a history row can
 * name its alert before anything was sent.
 */

type Param = string | number | null;

/** `?` placeholders as PostgreSQL's `$1, $2, …` (the engine's statements hold no literal `?`). */
function numbered(text: string, from = 1): string {
  let n = from - 1;
  return text.replace(/\?/g, () => `$${++n}`);
}

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
  const raiseWithId = RAISE_SQL.replace('INSERT INTO alert (', 'INSERT INTO alert (id, ').replace(
    'VALUES (',
    'VALUES (?, ',
  );
  return {
    open,
    cleared,
    run: (text, params) => void queue.push([text, params]),
    raise(params: readonly Param[]) {
      const id = ids.shift();
      if (id === undefined) throw new Error('alerts-pg: more raises than conditions');
      queue.push([raiseWithId, [id, ...params]]);
      return id;
    },
    each(list, text, params) {
      if (list.length === 0) return;
      // One statement for the whole list: `IN (…)` becomes `= ANY(array)`.
      const sql = text('@ids').replace('IN (@ids)', '= ANY(?::bigint[])');
      queue.push([sql, [...params, [...list]]]);
    },
    async flush() {
      for (const [text, params] of queue) await exec(text, params);
    },
  };
}
