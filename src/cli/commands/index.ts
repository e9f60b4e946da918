import type { CliContext } from '../context.js';
import * as alerts from './alerts.js';
import * as endpoint from './endpoint.js';
import * as exportCommand from './export.js';
import * as query from './query.js';
import * as serve from './serve.js';
import * as snapshot from './snapshot.js';
import * as store from './store.js';
import type { StoreCommandContext } from './store.js';
import * as sync from './sync.js';
import * as user from './user.js';
import * as watch from './watch.js';

export type Command =
  | { run(ctx: CliContext, argv: string[]): Promise<number>; readonly help?: string }
  /** Opens the stores it names itself (`store copy`), or none: no core is made for it. */
  | {
      standalone(ctx: StoreCommandContext, argv: string[]): Promise<number>;
      readonly help?: string;
    };

/** Every CLI command by name. Each lives in its own file and exports `run` (and `help`). */
export const COMMANDS: Record<string, Command> = {
  query: { run: query.run, help: query.QUERY_HELP },
  serve: { run: serve.run, help: serve.SERVE_HELP },
  endpoint: { run: endpoint.run, help: endpoint.ENDPOINT_HELP },
  sync: { run: sync.run, help: sync.SYNC_HELP },
  watch: { run: watch.run, help: watch.WATCH_HELP },
  export: { run: exportCommand.run, help: exportCommand.EXPORT_HELP },
  snapshot: { run: snapshot.run, help: snapshot.SNAPSHOT_HELP },
  alerts: { run: alerts.run, help: alerts.ALERTS_HELP },
  store: { standalone: store.run, help: store.STORE_HELP },
  user: { run: user.runUser, help: user.USER_HELP },
  token: { run: user.runToken, help: user.TOKEN_HELP },
};
