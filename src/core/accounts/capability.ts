import type { Kysely } from 'kysely';
import type { AccountInfo } from '../../shared/accounts.js';
import { AppError } from '../../shared/errors.js';
import type { HandlerSlice, RequestContext } from '../contract/handlers.js';
import type { Database } from '../store/schema.js';
import type { Actor } from './accounts.js';
import {
  accountInfo,
  addAccount,
  checkRole,
  listAccounts,
  logoutEverywhere,
  setDisabled,
  setPassword,
  setRole,
  unlockAccount,
} from './accounts.js';
import { createToken, listTokens, revokeToken } from './sessions.js';

type AccountChannel =
  | 'users:list'
  | 'users:add'
  | 'users:setRole'
  | 'users:setDisabled'
  | 'users:unlock'
  | 'users:setPassword'
  | 'users:logoutAll'
  | 'tokens:list'
  | 'tokens:create'
  | 'tokens:revoke';

/**
 * The `users:*` and `tokens:*` handlers: the functions the CLI's `user` and `token` commands run,
 * acting as the caller (`alice@10.0.0.5`), so each change's audit row names the person and
 * address. A caller without a role is the one person at a local store (desktop, loopback serve
 * with its per-run token), where nobody signs in: accounts exist only on a team server.
 */
export function createAccountsCapability(deps: {
  readonly db: Kysely<Database>;
  readonly now: () => Date;
}): HandlerSlice<AccountChannel> {
  const { db, now } = deps;
  const as = (ctx: RequestContext): Actor => {
    if (ctx.role === undefined) {
      throw new AppError(
        'TEAM_SERVER_ONLY',
        'Accounts and API tokens exist only on a team server (infrascope serve with accounts); ' +
          'this store has one person at the machine and nobody signs in',
      );
    }
    return { actor: ctx.actor, at: now() };
  };
  /** Runs `change` as the caller, then answers with the account as it is now. */
  const then = async (
    name: string,
    ctx: RequestContext,
    change: (by: Actor) => Promise<void>,
  ): Promise<AccountInfo> => {
    await change(as(ctx));
    return accountInfo(db, name);
  };
  return {
    'users:list': (_input, ctx) => {
      as(ctx);
      return listAccounts(db);
    },
    'users:add': (input, ctx) => then(input.name, ctx, (by) => addAccount(db, input, by)),
    'users:setRole': (input, ctx) =>
      then(input.name, ctx, (by) => setRole(db, input.name, input.role, by)),
    'users:setDisabled': (input, ctx) =>
      then(input.name, ctx, (by) => setDisabled(db, input.name, input.disabled, by)),
    'users:unlock': (input, ctx) =>
      then(input.name, ctx, (by) => unlockAccount(db, input.name, by)),
    'users:setPassword': (input, ctx) =>
      then(input.name, ctx, (by) => setPassword(db, input.name, input.password, by)),
    'users:logoutAll': (input, ctx) =>
      then(input.name, ctx, (by) => logoutEverywhere(db, input.name, by)),
    'tokens:list': (_input, ctx) => {
      as(ctx);
      return listTokens(db);
    },
    'tokens:create': async (input, ctx) => {
      const made = await createToken(db, input, as(ctx));
      return { name: input.name, role: checkRole(input.role), ...made };
    },
    'tokens:revoke': async (input, ctx) => {
      await revokeToken(db, input.name, as(ctx));
      const [info] = await listTokens(db, input.name);
      return info!;
    },
  };
}
