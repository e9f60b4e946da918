import { parseArgs } from 'node:util';
import {
  addAccount,
  listAccounts,
  logoutEverywhere,
  setDisabled,
  setPassword,
  setRole,
  unlockAccount,
} from '../../core/accounts/accounts.js';
import type { Actor } from '../../core/accounts/accounts.js';
import { createToken, listTokens, revokeToken } from '../../core/accounts/sessions.js';
import { AppError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { cliActor } from '../context.js';
import { readAll } from './endpoint.js';

export const USER_HELP = `Usage: infrascope user add NAME --role viewer|operator|admin
       infrascope user passwd NAME
       infrascope user role NAME --role viewer|operator|admin
       infrascope user disable|enable NAME
       infrascope user unlock NAME
       infrascope user logout-all NAME
       infrascope user list [--json]

Accounts of the team server (serve with TLS or --accounts). The password is read from standard
input (piped), or asked for without echo on a terminal; never from the command line. A new
password, disabling and logout-all end the account's sessions everywhere; unlock lifts the
lockout that five failed sign-ins in a row set. The last active admin cannot be demoted or
disabled. An admin does the same on the team server's Users page.`;

export const TOKEN_HELP = `Usage: infrascope token create NAME --role viewer|operator|admin [--expires 30d]
       infrascope token revoke NAME
       infrascope token list [--json]

API tokens for scripts and clients that are not a browser: sent as "Authorization: Bearer
TOKEN" to the team server's /api WebSocket. The token is printed once; only its hash is kept.
--expires takes minutes, hours or days (90m, 12h, 30d; at most a year).`;

const by = (ctx: CliContext): Actor => ({ actor: cliActor(ctx.env), at: new Date() });

/** Reads a line on a terminal without echoing it. */
function promptHidden(ctx: CliContext, question: string): Promise<string> {
  const stdin = ctx.stdin as NodeJS.ReadStream;
  return new Promise((resolve, reject) => {
    let text = '';
    ctx.err.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(text);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new AppError('CANCELLED', 'Cancelled'));
          return;
        }
        if (ch === '\u007f') text = text.slice(0, -1);
        else text += ch;
      }
    };
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      ctx.err.write('\n');
    };
    stdin.on('data', onData);
  });
}

/** The new password: piped on stdin, or typed twice on a terminal. */
async function readNewPassword(ctx: CliContext): Promise<string> {
  if (!(ctx.stdin as NodeJS.ReadStream).isTTY) {
    const text = (await readAll(ctx.stdin)).replace(/\r?\n$/, '');
    if (text === '') throw new AppError('VALIDATION', 'No password on standard input.');
    return text;
  }
  const first = await promptHidden(ctx, 'Password: ');
  const again = await promptHidden(ctx, 'Again: ');
  if (first !== again) throw new AppError('VALIDATION', 'The two passwords differ.');
  return first;
}

function oneName(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new AppError('VALIDATION', usage);
  return positionals[0]!;
}

export async function runUser(ctx: CliContext, argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { role: { type: 'string' }, json: { type: 'boolean' } },
  });
  const db = ctx.core.store.db;
  const usage = `Usage: infrascope user ${verb ?? 'add|passwd|role|disable|enable|unlock|logout-all|list'} NAME`;
  switch (verb) {
    case 'add': {
      const name = oneName(positionals, usage);
      if (!values.role) throw new AppError('VALIDATION', 'Give --role viewer|operator|admin');
      await addAccount(
        db,
        { name, role: values.role, password: await readNewPassword(ctx) },
        by(ctx),
      );
      ctx.out.write(`Added ${name} (${values.role})\n`);
      return 0;
    }
    case 'passwd': {
      const name = oneName(positionals, usage);
      await setPassword(db, name, await readNewPassword(ctx), by(ctx));
      ctx.out.write(`New password set for ${name}; its sessions are ended\n`);
      return 0;
    }
    case 'role': {
      const name = oneName(positionals, usage);
      if (!values.role) throw new AppError('VALIDATION', 'Give --role viewer|operator|admin');
      await setRole(db, name, values.role, by(ctx));
      ctx.out.write(`${name} is now ${values.role}\n`);
      return 0;
    }
    case 'disable':
    case 'enable':
      await setDisabled(db, oneName(positionals, usage), verb === 'disable', by(ctx));
      ctx.out.write(`${verb === 'disable' ? 'Disabled' : 'Enabled'} ${positionals[0]}\n`);
      return 0;
    case 'unlock':
      await unlockAccount(db, oneName(positionals, usage), by(ctx));
      ctx.out.write(`Unlocked ${positionals[0]}\n`);
      return 0;
    case 'logout-all':
      await logoutEverywhere(db, oneName(positionals, usage), by(ctx));
      ctx.out.write(`Ended every session of ${positionals[0]}\n`);
      return 0;
    case 'list': {
      const list = await listAccounts(db);
      if (values.json) ctx.out.write(JSON.stringify(list, null, 2) + '\n');
      for (const a of values.json ? [] : list) {
        const state = a.disabled
          ? 'disabled'
          : a.lockedUntil && Date.parse(a.lockedUntil) > Date.now()
            ? `locked until ${a.lockedUntil}`
            : 'active';
        ctx.out.write(`${a.name}\t${a.role}\t${state}\n`);
      }
      return 0;
    }
    default:
      throw new AppError('VALIDATION', USER_HELP);
  }
}

export async function runToken(ctx: CliContext, argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { role: { type: 'string' }, expires: { type: 'string' }, json: { type: 'boolean' } },
  });
  const db = ctx.core.store.db;
  switch (verb) {
    case 'create': {
      const name = oneName(positionals, 'Usage: infrascope token create NAME --role ROLE');
      if (!values.role) throw new AppError('VALIDATION', 'Give --role viewer|operator|admin');
      const made = await createToken(
        db,
        { name, role: values.role, expiresIn: values.expires ?? '30d' },
        by(ctx),
      );
      // The one time the secret is shown: stdout alone, so `TOKEN=$(infrascope token create …)` works.
      ctx.err.write(
        `Token ${name} (${values.role}) expires ${made.expiresAt}; it is shown once:\n`,
      );
      ctx.out.write(made.secret + '\n');
      return 0;
    }
    case 'revoke':
      await revokeToken(db, oneName(positionals, 'Usage: infrascope token revoke NAME'), by(ctx));
      ctx.out.write(`Revoked ${positionals[0]}\n`);
      return 0;
    case 'list': {
      const list = await listTokens(db);
      if (values.json) ctx.out.write(JSON.stringify(list, null, 2) + '\n');
      for (const t of values.json ? [] : list) {
        ctx.out.write(
          `${t.name}\t${t.role}\t${t.revoked ? 'revoked' : `expires ${t.expiresAt}`}\n`,
        );
      }
      return 0;
    }
    default:
      throw new AppError('VALIDATION', TOKEN_HELP);
  }
}
