import { parseArgs } from 'node:util';
import { APP_VERSION, createCore } from '../core/core.js';
import type { Core } from '../core/core.js';
import pino from 'pino';
import type { RotatingLogFile } from '../core/log-file.js';
import { logFile, rotatingLogFile } from '../core/log-file.js';
import type { Logger } from '../core/logger.js';
import { createLogger } from '../core/logger.js';
import { AppError, serializeError } from '../shared/errors.js';
import type { CliIo } from './context.js';
import { createCliContext } from './context.js';
import { inert, inertStream } from './output.js';
import { isPostgresLocation } from '../core/store/location.js';
import { loadStoreKey } from '../core/vault/store-key.js';
import { defaultDataDir } from './data-dir.js';
import { createHostVault } from './host-vault.js';
import { COMMANDS } from './commands/index.js';
import { QUERY_HELP } from './commands/query.js';

/** Commands that run until stopped keep their own log file (`logs/serve.log`, `logs/watch.log`). */
const LONG_RUNNING: ReadonlySet<string> = new Set(['serve', 'watch']);

export const HELP = `infrascope ${APP_VERSION} — vSphere and Hyper-V inventory, history and connectivity doctor

Usage: infrascope [--data-dir DIR] [--store LOCATION] <command> [options]

Commands:
  query <kind> ...        read inventory from the local store (--json, --csv)
  endpoint list|add|set|remove|test
                          manage the endpoints to collect from
  sync [NAME...]          one full sync of the named (default: all enabled) endpoints
  watch [NAME...]         keep inventory current until Ctrl-C
  serve [--port N]        serve the UI on 127.0.0.1 for a browser
  serve --listen ADDR:PORT --tls-cert FILE --tls-key FILE | --tls-self-signed
                          a team server: TLS, accounts and roles
  user add|passwd|disable|unlock|logout-all|list
                          accounts of the team server
  token create|revoke|list
                          API tokens for scripts (shown once, stored hashed)
  export --format xlsx|csv|json
                          write an RVTools-shaped workbook, CSVs or a JSON snapshot
  snapshot save|list|diff|delete|import
                          point-in-time snapshots and what changed between them
  alerts list|ack|rules   alerts raised by the rule engine
  store key generate|copy a team store's key; copy a local store into a team store

Global options:
  --data-dir DIR          data directory (default: $INFRASCOPE_DATA_DIR or the desktop app's)
  --store LOCATION        the store: postgres://USER@HOST[:PORT]/DATABASE[?sslmode=...] for a
                          team store on PostgreSQL, or a SQLite file (default: $INFRASCOPE_STORE,
                          else infrascope.db in the data directory)
  --store-key-file FILE   the team store's secrets key (a PostgreSQL store seals endpoint
                          passwords with it; also $INFRASCOPE_STORE_KEY, $INFRASCOPE_STORE_KEY_FILE)
  --log-level LEVEL       error, warn, info, debug: log lines at LEVEL go to stderr
                          (they always go to logs/ in the data directory)
  --verbose               the same as --log-level info
  --pwsh PATH             PowerShell for Hyper-V endpoints (default: pwsh, or powershell.exe
                          on Windows; also NODE_POWERSHELL)
  -h, --help              this help;  infrascope <command> --help for a command's
  -v, --version           print the version

${QUERY_HELP}
`;

export type { CliIo };

/** The exit status after Ctrl-C (128 + SIGINT), as shells expect. */
export const INTERRUPTED_EXIT = 130;

/**
 * Log lines are for the log file in the data directory (`logs/cli.log`; `logs/serve.log` and
 * `logs/watch.log` for the long-running commands, rotated by size like the desktop's); the
 * terminal gets one readable line per failure from the command. `--verbose` or `--log-level`
 * also sends them to stderr.
 */
function cliLogger(
  dataDir: string,
  command: string,
  globals: { readonly 'log-level'?: string; readonly verbose?: boolean },
  env: NodeJS.ProcessEnv,
): { log: Logger; file: RotatingLogFile } {
  const asked = globals['log-level'] ?? (globals.verbose ? 'info' : undefined);
  const file = rotatingLogFile({
    file: logFile(dataDir, LONG_RUNNING.has(command) ? command : 'cli'),
  });
  const log = createLogger({
    level: asked ?? env['INFRASCOPE_LOG_LEVEL'] ?? 'info',
    destination:
      asked === undefined
        ? file
        : pino.multistream([
            { level: 'trace', stream: pino.destination({ dest: 2, sync: true }) },
            { level: 'trace', stream: file },
          ]),
  });
  return { log, file };
}

/** Runs the CLI in-process and returns the exit code (tests call this directly). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let core: Core | undefined;
  let logOut: RotatingLogFile | null = null;
  try {
    const { tokens } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: false,
      tokens: true,
      options: {
        'data-dir': { type: 'string' },
        store: { type: 'string' },
        'store-key-file': { type: 'string' },
        'log-level': { type: 'string' },
        verbose: { type: 'boolean' },
        pwsh: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
    // Global options come before the command; everything from the command on is the command's.
    const first = tokens.find((t) => t.kind === 'positional');
    const commandIndex = first ? first.index : argv.length;
    const globals = parseArgs({
      args: argv.slice(0, commandIndex),
      allowPositionals: false,
      options: {
        'data-dir': { type: 'string' },
        store: { type: 'string' },
        'store-key-file': { type: 'string' },
        'log-level': { type: 'string' },
        verbose: { type: 'boolean' },
        pwsh: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    }).values;
    // The PowerShell that Hyper-V collection drives; node-powershell reads NODE_POWERSHELL.
    if (globals.pwsh) process.env['NODE_POWERSHELL'] = globals.pwsh;
    if (globals.version) {
      io.out.write(`${APP_VERSION}\n`);
      return 0;
    }
    const name = argv[commandIndex];
    if (globals.help || name === undefined || name === 'help') {
      io.out.write(HELP);
      return name === undefined && !globals.help ? 2 : 0;
    }
    const command = COMMANDS[name];
    if (!command)
      throw new AppError('VALIDATION', `Unknown command "${name}". Run infrascope --help.`);
    const rest = argv.slice(commandIndex + 1);
    if (rest.includes('--help') || rest.includes('-h')) {
      if (command.help) {
        io.out.write(command.help + '\n');
        return 0;
      }
    }
    const dataDir = globals['data-dir'] ?? defaultDataDir(io.env);
    const logged = cliLogger(dataDir, name, globals, io.env);
    logOut = logged.file;
    const log = logged.log;
    const store = globals.store ?? io.env['INFRASCOPE_STORE'];
    if (store !== undefined && store.trim() === '')
      throw new AppError('VALIDATION', '--store needs a location: a postgres:// URL or a file.');
    if ('standalone' in command)
      return await command.standalone(
        {
          ...io,
          out: inertStream(io.out),
          err: inertStream(io.err, { progress: true }),
          dataDir,
          log,
          store,
          storeKeyFile: globals['store-key-file'],
        },
        rest,
      );
    core = await createCore({
      dataDir,
      ...(store !== undefined ? { store } : {}),
      // Only a team store's secrets take the team key; a malformed one is said at once.
      storeKey:
        store !== undefined && isPostgresLocation(store)
          ? loadStoreKey({ env: io.env, file: globals['store-key-file'] })
          : null,
      host: name === 'serve' ? 'serve' : 'cli',
      vault: createHostVault(dataDir),
      log,
      // One-shot commands do not serve the UI's sorted windows: a small cache, no memory map.
      compactStore: !LONG_RUNNING.has(name),
    });
    if (core.recovery) {
      const r = core.recovery;
      io.err.write(
        `infrascope: the store was damaged (${r.reason}); it was moved to ${r.movedTo}. ` +
          (r.restoredFrom
            ? `Restored the backup of ${r.backupTakenAt}; changes since then are lost until the endpoints sync again.\n`
            : 'No usable backup was found: the store starts empty and fills again at the next sync.\n'),
      );
    }
    const code = await command.run(createCliContext(core, io), rest);
    return io.signal.aborted ? INTERRUPTED_EXIT : code;
  } catch (e) {
    if (io.signal.aborted) return INTERRUPTED_EXIT;
    const err = serializeError(e);
    if (
      err.code === 'INTERNAL' &&
      e instanceof TypeError &&
      /parseArgs|ERR_PARSE_ARGS/.test(String((e as { code?: string }).code))
    ) {
      io.err.write(`infrascope: ${inert(err.message)}\n`);
      return 2;
    }
    const parseError =
      e instanceof Error &&
      'code' in e &&
      String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS');
    io.err.write(
      `infrascope: ${inert(err.message)}${parseError || err.code === 'INTERNAL' ? '' : ` [${err.code}]`}\n`,
    );
    return parseError ||
      err.code === 'VALIDATION' ||
      err.code === 'UNKNOWN_KIND' ||
      err.code === 'UNKNOWN_FIELD'
      ? 2
      : 1;
  } finally {
    await core?.dispose();
    logOut?.close();
  }
}
