import { parseArgs } from 'node:util';
import { AppError } from '../../shared/errors.js';
import type { Filter, QueryKind, Sort } from '../../shared/query.js';
import { QUERY_KINDS, parseFilter, parseSort } from '../../shared/query.js';
import type { CliContext } from '../context.js';
import { invoke } from '../context.js';
import type { QueryWindowBase } from '../query-windows.js';
import { queryWindows, writeCsv, writeJson, writeTable } from '../query-windows.js';

export const QUERY_HELP = `Usage: infrascope query <kind> [--where FIELD=VALUE]... [--search TEXT]
                        [--sort FIELD[:desc]]... [--limit N] [--offset N] [--deleted] [--json|--csv]

Kinds: ${QUERY_KINDS.join(', ')}
Filters: FIELD=VALUE, FIELD!=VALUE, FIELD~TEXT (contains), FIELD!~TEXT, FIELD>N, >=, <, <=
Run "infrascope query <kind> --fields" to list a kind's fields.`;

/** `infrascope query KIND ...` — reads the store; prints JSON, CSV or a table. */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      where: { type: 'string', multiple: true, short: 'w' },
      search: { type: 'string', short: 's' },
      sort: { type: 'string', multiple: true },
      limit: { type: 'string', short: 'n' },
      offset: { type: 'string' },
      deleted: { type: 'boolean' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      fields: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    ctx.out.write(QUERY_HELP + '\n');
    return 0;
  }
  const kind = positionals[0];
  if (!kind) throw new AppError('VALIDATION', `Name a kind to query.\n${QUERY_HELP}`);
  if (positionals.length > 1)
    throw new AppError('VALIDATION', `Unexpected argument "${positionals[1]}"`);
  if (!(QUERY_KINDS as readonly string[]).includes(kind)) {
    throw new AppError('UNKNOWN_KIND', `Unknown kind "${kind}". Kinds: ${QUERY_KINDS.join(', ')}`);
  }
  if (values.fields) {
    const fields = await invoke(ctx, 'inventory:fields', { kind: kind as QueryKind });
    for (const f of fields) ctx.out.write(`${f.name.padEnd(22)} ${f.type.padEnd(7)} ${f.label}\n`);
    return 0;
  }
  const where: Filter[] = [];
  for (const w of values.where ?? []) {
    try {
      where.push(parseFilter(w));
    } catch (e) {
      throw new AppError('VALIDATION', (e as Error).message);
    }
  }
  const sort: Sort[] = [];
  for (const s of values.sort ?? []) {
    try {
      sort.push(parseSort(s));
    } catch (e) {
      throw new AppError('VALIDATION', (e as Error).message);
    }
  }
  const number = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0)
      throw new AppError('VALIDATION', `--${name} takes a whole number, not "${text}"`);
    return n;
  };
  // Without --limit the data formats give every row; the table shows a screenful.
  const limit =
    values.limit !== undefined
      ? number('limit', values.limit, 0)
      : values.json || values.csv
        ? Infinity
        : 50;
  const offset = number('offset', values.offset, 0);
  const query: QueryWindowBase = {
    kind: kind as QueryKind,
    where,
    sort,
    includeDeleted: values.deleted === true,
    ...(values.search ? { search: values.search } : {}),
  };
  const windows = queryWindows(ctx, query, offset, limit);
  if (values.json) await writeJson(ctx, windows);
  else if (values.csv) await writeCsv(ctx, windows);
  else {
    const shown = await writeTable(ctx, windows);
    ctx.err.write(`${shown.rows} of ${shown.total} ${kind}\n`);
  }
  return 0;
}
