import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from '../../core/logger.js';
import type { CopyProgress, CopyResult } from '../../core/store/copy.js';
import { copyStore } from '../../core/store/copy.js';
import { isPostgresLocation, redactLocation } from '../../core/store/location.js';
import { STORE_FILE, openSqliteStore, openStore } from '../../core/store/sqlite.js';
import type { PostgresStore, SqliteStore } from '../../core/store/sqlite.js';
import { KEY_FILE, keyFileVault } from '../../core/vault/key-file-vault.js';
import {
  STORE_KEY_FILE_ENV,
  loadStoreKey,
  newStoreKeyText,
  writeNewStoreKeyFile,
} from '../../core/vault/store-key.js';
import { storeKeyMissing, teamKeyVault } from '../../core/vault/team-key-vault.js';
import { AppError } from '../../shared/errors.js';
import type { CliIo } from '../context.js';
import { progressLine } from '../progress.js';

export const STORE_HELP = `Usage:
  infrascope store key generate [--out FILE]
  infrascope [--store-key-file FILE] store copy [--from sqlite:PATH] [--to postgres://...] [--force] [--json]

key generate   A new team store key (32 random bytes, base64). With --out, written to FILE
               (mode 0600, never over an existing file); else printed on standard output.
               Every collector host of the team store needs it: INFRASCOPE_STORE_KEY=<key>, or
               --store-key-file FILE / INFRASCOPE_STORE_KEY_FILE. It never goes into the database.
copy           Copies a local SQLite store (default: the data directory's) into a team store on
               PostgreSQL (default: --store / INFRASCOPE_STORE): endpoints, inventory, change log,
               relations, history, snapshots, alerts, audit log, metrics, schedules and settings,
               keeping ids. Passwords are opened with the data directory's vault key and sealed
               with the team store key. Progress goes to standard error. Ctrl-C stops between
               batches; the same command again continues where it stopped. A target that already
               holds data is refused; --force empties it first. Close the apps writing to the
               local store while it copies.`;

/** What `store` gets instead of a core: it opens the stores it names itself. */
export interface StoreCommandContext extends CliIo {
  readonly dataDir: string;
  readonly log: Logger;
  /** --store or INFRASCOPE_STORE. */
  readonly store: string | undefined;
  /** --store-key-file. */
  readonly storeKeyFile: string | undefined;
}

async function generate(ctx: StoreCommandContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' } },
  });
  if (positionals.length > 0)
    throw new AppError('VALIDATION', `Unexpected argument "${positionals[0]}".\n${STORE_HELP}`);
  if (values.out) {
    const keyId = writeNewStoreKeyFile(values.out);
    ctx.out.write(
      `Wrote a new team store key (id ${keyId}) to ${values.out} (mode 0600).\n` +
        `Give it to every collector host: --store-key-file ${values.out} or ${STORE_KEY_FILE_ENV}. ` +
        "Keep a copy somewhere safe: without it every endpoint's password must be entered again.\n",
    );
    return 0;
  }
  ctx.out.write(`${newStoreKeyText()}\n`);
  ctx.err.write(
    'A new team store key: set INFRASCOPE_STORE_KEY to it on every collector host, or keep it in a file (mode 0600) for --store-key-file.\n',
  );
  return 0;
}

/** `sqlite:PATH` or a plain path (never a postgres URL) → the file. */
function sourceFile(from: string | undefined, dataDir: string): string {
  const file = from === undefined ? join(dataDir, STORE_FILE) : from.replace(/^sqlite:/i, '');
  if (isPostgresLocation(file))
    throw new AppError(
      'VALIDATION',
      '--from is a SQLite store (sqlite:PATH); --to is the team store.',
    );
  if (!existsSync(file))
    throw new AppError(
      'VALIDATION',
      `There is no store at ${file}. Name it with --from sqlite:PATH.`,
    );
  return resolve(file);
}

function progressText(p: CopyProgress): string {
  switch (p.phase) {
    case 'check':
      return 'checking both stores';
    case 'copy':
      return `table ${p.index}/${p.tables} ${p.table}: ${p.done}/${p.total} rows`;
    case 'sequences':
      return 'moving id sequences past the copied ids';
    case 'vacuum':
      return 'vacuuming and analyzing the copied tables';
    case 'done':
      return 'done';
  }
}

function summary(r: CopyResult, from: string, to: string): string {
  const rows = r.tables.reduce((n, t) => n + t.rows, 0);
  const lines = [
    `${r.resumed ? 'Finished the copy' : 'Copied'} ${from} into ${to}: ${rows} rows in ${r.tables.length} tables.`,
  ];
  if (r.skipped.length > 0)
    lines.push(`Not copied (rebuilt by the team store itself): ${r.skipped.join(', ')}.`);
  if (r.reenter.length > 0)
    lines.push(
      `The local vault could not open the passwords of ${r.reenter.join(', ')} (sealed elsewhere, e.g. by the desktop app's keychain): set them again with \`infrascope endpoint set NAME --password-env VAR\` against the team store.`,
    );
  if (r.webhooksToReadd.length > 0)
    lines.push(
      `The local vault could not open the URLs of the webhooks ${r.webhooksToReadd.join(', ')}: remove and add them again against the team store.`,
    );
  return lines.join('\n') + '\n';
}

async function copy(ctx: StoreCommandContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length > 0)
    throw new AppError('VALIDATION', `Unexpected argument "${positionals[0]}".\n${STORE_HELP}`);
  const to = values.to ?? ctx.store;
  if (!to || !isPostgresLocation(to))
    throw new AppError(
      'VALIDATION',
      'Name the team store to copy into: --to postgres://USER@HOST/DATABASE (or --store / INFRASCOPE_STORE).',
    );
  const file = sourceFile(values.from, ctx.dataDir);
  const key = loadStoreKey({ env: ctx.env, file: ctx.storeKeyFile });
  if (!key) throw storeKeyMissing();
  // The local vault's key lives beside its store (the data directory); never create one here.
  const localKey = join(dirname(file), KEY_FILE);
  const sourceVault = existsSync(localKey) ? keyFileVault(dirname(file)) : null;
  let source: SqliteStore | null = null;
  let target: PostgresStore | null = null;
  const line = progressLine(ctx);
  let lastTable: string | undefined;
  try {
    source = await openSqliteStore({ file });
    const opened = await openStore({ file: to });
    if (opened.engine !== 'postgres') throw new AppError('INTERNAL', 'expected a PostgreSQL store');
    target = opened;
    const result = await copyStore({
      source,
      target,
      sourceVault,
      targetVault: teamKeyVault(key),
      sourceId: file,
      force: values.force ?? false,
      signal: ctx.signal,
      onProgress: (p) => {
        if (ctx.isTTY) {
          const frac = p.total ? (p.done ?? 0) / p.total : undefined;
          line.draw(progressText(p), {
            ...(frac === undefined ? {} : { frac }),
            force: p.table !== lastTable,
          });
        } else if (p.phase !== 'copy' || p.done === p.total || p.table !== lastTable) {
          // Plain lines: each table's start and end, and each phase.
          ctx.err.write(`${progressText(p)}\n`);
        }
        lastTable = p.table;
      },
    });
    line.clear();
    ctx.log.info(
      { from: file, to: redactLocation(to), tables: result.tables.length, resumed: result.resumed },
      'store copied',
    );
    ctx.out.write(
      values.json
        ? JSON.stringify(result, null, 2) + '\n'
        : summary(result, file, redactLocation(to)),
    );
    return 0;
  } finally {
    line.clear();
    await source?.close();
    await target?.close();
  }
}

/** `infrascope store key generate | copy` */
export async function run(ctx: StoreCommandContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'key') {
    const [verb, ...more] = rest;
    if (verb === 'generate') return generate(ctx, more);
    throw new AppError('VALIDATION', `Unknown store key command "${verb ?? ''}".\n${STORE_HELP}`);
  }
  if (sub === 'copy') return copy(ctx, rest);
  if (sub === undefined || sub === 'help') {
    ctx.out.write(STORE_HELP + '\n');
    return sub === undefined ? 2 : 0;
  }
  throw new AppError('VALIDATION', `Unknown store command "${sub}".\n${STORE_HELP}`);
}
