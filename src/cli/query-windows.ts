import type { InventoryQuery, QueryResult } from '../shared/query.js';
import type { CliContext } from './context.js';
import { invoke } from './context.js';
import { csvField, csvLines, tableLayout } from './output.js';

/*
 * `infrascope query` prints every row it is asked for, however many: it reads the core's query
 * channel a window at a time and writes each window out before asking for the next, so memory
 * holds one window whatever the estate's size, and Ctrl-C stops between two windows.
 */

/** Rows per request to the core: small enough to hold, large enough that requests stay few. */
export const QUERY_WINDOW = 1000;

/** A query without its window (the CLI adds offset and limit a window at a time). */
export type QueryWindowBase = Omit<InventoryQuery, 'limit' | 'offset'>;

/**
 * The windows of a query's rows from `offset`, `limit` rows in all (`Infinity`: every row), in
 * the query's order. Stops early, without error, when the command's signal ends.
 */
export async function* queryWindows(
  ctx: CliContext,
  query: QueryWindowBase,
  offset: number,
  limit: number,
): AsyncGenerator<QueryResult> {
  let read = 0;
  let firstTotal: number | null = null;
  for (;;) {
    if (ctx.signal.aborted) return;
    const size = Math.min(QUERY_WINDOW, limit - read);
    const window = await invoke(ctx, 'inventory:query', {
      ...query,
      offset: offset + read,
      limit: size,
    });
    if (firstTotal === null) firstTotal = window.total;
    else if (window.total !== firstTotal) {
      // Windows are read one after another: a sync between two of them can shift rows.
      ctx.err.write(
        'infrascope: the inventory changed while it was listed; rows may be missing or repeated. Run the query again.\n',
      );
      firstTotal = window.total;
    }
    yield window;
    read += window.rows.length;
    if (window.rows.length < size || read >= limit || size === 0) return;
  }
}

/** Writes `text` to the command's stdout, waiting while the reader is behind. */
function write(ctx: CliContext, text: string): Promise<void> {
  if (text === '' || ctx.out.write(text)) return Promise.resolve();
  return new Promise((resolve) => ctx.out.once('drain', resolve));
}

/**
 * The rows as one JSON array, row by row, byte for byte what `JSON.stringify(rows, null, 2)`
 * gives for the whole array (`[]` when there is none). An interrupted listing is left unclosed,
 * so no reader takes it for complete.
 */
export async function writeJson(
  ctx: CliContext,
  windows: AsyncIterable<QueryResult>,
): Promise<void> {
  let first = true;
  for await (const window of windows) {
    let text = '';
    for (const row of window.rows) {
      const body = JSON.stringify(row, null, 2).replace(/\n/g, '\n  ');
      text += `${first ? '[\n' : ',\n'}  ${body}`;
      first = false;
    }
    await write(ctx, text);
  }
  if (ctx.signal.aborted) return;
  await write(ctx, first ? '[]\n' : '\n]\n');
}

/** The rows as CSV: a header of every field name, then a line per row, window by window. */
export async function writeCsv(
  ctx: CliContext,
  windows: AsyncIterable<QueryResult>,
): Promise<void> {
  let names: string[] | null = null;
  for await (const window of windows) {
    if (!names) {
      names = window.fields.map((f) => f.name);
      await write(ctx, names.map((n) => csvField(n)).join(',') + '\r\n');
    }
    await write(ctx, csvLines(names, window.rows));
  }
}

/**
 * The rows as an aligned table (the first eight fields), its widths measured on the first
 * window. Returns how many rows it printed and how many match.
 */
export async function writeTable(
  ctx: CliContext,
  windows: AsyncIterable<QueryResult>,
): Promise<{ rows: number; total: number }> {
  let layout: ReturnType<typeof tableLayout> | null = null;
  let rows = 0;
  let total = 0;
  for await (const window of windows) {
    if (!layout) {
      layout = tableLayout(window.fields.map((f) => f.name).slice(0, 8), window.rows);
      total = window.total;
      await write(ctx, layout.header);
    }
    await write(ctx, layout.lines(window.rows));
    rows += window.rows.length;
  }
  return { rows, total };
}
