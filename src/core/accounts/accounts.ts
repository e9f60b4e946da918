import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { AccountInfo } from '../../shared/accounts.js';
import { AppError } from '../../shared/errors.js';
import type { Role, SessionAccount } from '../../shared/roles.js';
import { isRole } from '../../shared/roles.js';
import type { Database } from '../store/schema.js';
import { engineOf } from '../store/sqlite.js';
import { writeAudit } from '../endpoints/audit.js';
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  dummyHash,
  hashPassword,
  verifyPassword,
} from './password.js';

/*
 * Team-server accounts (issue 17): adding, listing, roles, disabling, passwords, and the sign-in
 * check with its per-account lockout. The lockout is in the store, so `user unlock` from the CLI
 * lifts it while a server runs; the per-address limit is the server's (team-auth.ts). The CLI's
 * `user` commands and the contract's `users:*` channels (the Users page) both run these.
 */

export type { AccountInfo };

/** Failures in a row that lock an account. */
export const LOCK_AFTER_FAILURES = 5;
/** How long a lock lasts unless an admin lifts it first. */
export const LOCK_MS = 15 * 60_000;

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export type LoginOutcome =
  | { readonly ok: true; readonly account: SessionAccount & { readonly id: number } }
  | { readonly ok: false; readonly code: 'AUTH_FAILED' | 'AUTH_LOCKED' };

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError(
      'VALIDATION',
      `A password has ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
    );
  }
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new AppError(
      'VALIDATION',
      'An account name has 1 to 64 letters, digits, ".", "_" or "-"',
    );
  }
}

export function checkRole(role: string): Role {
  if (!isRole(role)) throw new AppError('VALIDATION', `No role ${role}: viewer, operator or admin`);
  return role;
}

async function accountId(
  db: Kysely<Database> | Transaction<Database>,
  name: string,
): Promise<number> {
  const row = await db
    .selectFrom('account')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND', `No account ${name}`);
  return Number(row.id);
}

/** Who does it and when: an audit entry's `actor` and `at`. */
export interface Actor {
  readonly actor: string;
  readonly at: Date;
}

export async function addAccount(
  db: Kysely<Database>,
  input: { name: string; role: string; password: string },
  by: Actor,
): Promise<void> {
  checkName(input.name);
  const role = checkRole(input.role);
  checkPassword(input.password);
  const hash = await hashPassword(input.password);
  await db.transaction().execute(async (trx) => {
    const taken = await trx
      .selectFrom('account')
      .select('id')
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (taken) throw new AppError('CONFLICT', `An account ${input.name} exists already`);
    await trx
      .insertInto('account')
      .values({ name: input.name, role, password_hash: hash, created_at: by.at.toISOString() })
      .execute();
    await writeAudit(trx, { ...by, action: 'account.add', target: input.name, details: { role } });
  });
}

export async function setPassword(
  db: Kysely<Database>,
  name: string,
  password: string,
  by: Actor,
): Promise<void> {
  checkPassword(password);
  const id = await accountId(db, name);
  const hash = await hashPassword(password);
  await db.transaction().execute(async (trx) => {
    // A new password ends every session the old one opened.
    await trx
      .updateTable('account')
      .set({ password_hash: hash, sessions_valid_after: by.at.toISOString() })
      .where('id', '=', id)
      .execute();
    await trx.deleteFrom('account_session').where('account_id', '=', id).execute();
    await writeAudit(trx, { ...by, action: 'account.passwd', target: name });
  });
}

/**
 * Refuses a change that would leave the team server with no active admin: nobody could then
 * manage accounts or configuration from a page. Takes the accounts' lock first on a team store,
 * so two admins demoting each other at once cannot both pass the count.
 */
async function keepAnAdmin(
  trx: Transaction<Database>,
  id: number,
  name: string,
  what: string,
): Promise<void> {
  if (engineOf(trx) === 'postgres') {
    await sql`SELECT pg_advisory_xact_lock(hashtext('infrascope.accounts'))`.execute(trx);
  }
  const row = await trx
    .selectFrom('account')
    .select(['role', 'disabled'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  if (row.role !== 'admin' || Number(row.disabled) !== 0) return;
  const others = await trx
    .selectFrom('account')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled', '=', 0)
    .where('id', '!=', id)
    .executeTakeFirstOrThrow();
  if (Number(others.n) === 0) {
    throw new AppError(
      'CONFLICT',
      `${name} is the last active admin: make another account admin before you ${what} it`,
      { reason: 'last-admin', name },
    );
  }
}

/** Changes an account's role; its open sessions take the new role at their next request. */
export async function setRole(
  db: Kysely<Database>,
  name: string,
  role: string,
  by: Actor,
): Promise<void> {
  const next = checkRole(role);
  const id = await accountId(db, name);
  await db.transaction().execute(async (trx) => {
    if (next !== 'admin') await keepAnAdmin(trx, id, name, 'demote');
    const before = await trx
      .selectFrom('account')
      .select('role')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    await trx.updateTable('account').set({ role: next }).where('id', '=', id).execute();
    await writeAudit(trx, {
      ...by,
      action: 'account.role',
      target: name,
      details: { from: before.role, to: next },
    });
  });
}

/**
 * Disables an account and ends its sessions (it can no longer sign in), or enables it again.
 * The last active admin cannot be disabled.
 */
export async function setDisabled(
  db: Kysely<Database>,
  name: string,
  disabled: boolean,
  by: Actor,
): Promise<void> {
  const id = await accountId(db, name);
  await db.transaction().execute(async (trx) => {
    if (disabled) await keepAnAdmin(trx, id, name, 'disable');
    await trx
      .updateTable('account')
      .set({ disabled: disabled ? 1 : 0 })
      .where('id', '=', id)
      .execute();
    if (disabled) await trx.deleteFrom('account_session').where('account_id', '=', id).execute();
    await writeAudit(trx, {
      ...by,
      action: disabled ? 'account.disable' : 'account.enable',
      target: name,
    });
  });
}

/** Lifts a lockout (and the failures counted toward the next one). */
export async function unlockAccount(db: Kysely<Database>, name: string, by: Actor): Promise<void> {
  const id = await accountId(db, name);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('account')
      .set({ failed_logins: 0, locked_until: null })
      .where('id', '=', id)
      .execute();
    await writeAudit(trx, { ...by, action: 'account.unlock', target: name });
  });
}

/** Ends every session of the account, on every browser and desktop app. */
export async function logoutEverywhere(
  db: Kysely<Database>,
  name: string,
  by: Actor,
): Promise<void> {
  const id = await accountId(db, name);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('account')
      .set({ sessions_valid_after: by.at.toISOString() })
      .where('id', '=', id)
      .execute();
    await trx.deleteFrom('account_session').where('account_id', '=', id).execute();
    await writeAudit(trx, { ...by, action: 'account.logout-all', target: name });
  });
}

/**
 * The accounts (or the one named), each with its last sign-in: the audit log's latest
 * `auth.login` row for it, the one place that fact is written.
 */
export async function listAccounts(db: Kysely<Database>, only?: string): Promise<AccountInfo[]> {
  let q = db.selectFrom('account').selectAll().orderBy('name');
  if (only !== undefined) q = q.where('name', '=', only);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const logins = await db
    .selectFrom('audit_log')
    .select(['target', (eb) => eb.fn.max('at').as('last')])
    .where('action', '=', 'auth.login')
    .where(
      'target',
      'in',
      rows.map((r) => r.name),
    )
    .groupBy('target')
    .execute();
  const last = new Map(logins.map((l) => [l.target, l.last]));
  return rows.map((r) => ({
    name: r.name,
    role: checkRole(r.role),
    disabled: Number(r.disabled) !== 0,
    createdAt: r.created_at,
    lockedUntil: r.locked_until,
    lastLoginAt: last.get(r.name) ?? null,
  }));
}

/** One account, as `listAccounts` shows it; NOT_FOUND when there is none by that name. */
export async function accountInfo(db: Kysely<Database>, name: string): Promise<AccountInfo> {
  const [info] = await listAccounts(db, name);
  if (!info) throw new AppError('NOT_FOUND', `No account ${name}`);
  return info;
}

/**
 * Checks a sign-in. Unknown account, wrong password and disabled account give the same answer
 * after the same scrypt run. While an account is locked every try is refused, the right password
 * included, and counts nothing; the fifth failure in a row locks it for `LOCK_MS`.
 */
export async function checkLogin(
  db: Kysely<Database>,
  name: string,
  password: string,
  now: Date,
  unknownNames: Map<string, { failed: number; lockedUntil: number }> = new Map(),
): Promise<LoginOutcome> {
  const row = NAME.test(name)
    ? await db.selectFrom('account').selectAll().where('name', '=', name).executeTakeFirst()
    : undefined;
  // A name nobody has is counted and locked in memory just like an account, so the 423 after
  // five tries does not tell which names exist.
  const phantom = row ? undefined : (unknownNames.get(name) ?? { failed: 0, lockedUntil: 0 });
  const lockedUntil = row?.locked_until
    ? Date.parse(row.locked_until)
    : (phantom?.lockedUntil ?? 0);
  if (lockedUntil > now.getTime()) return { ok: false, code: 'AUTH_LOCKED' };
  const matches = await verifyPassword(password, row?.password_hash ?? (await dummyHash()));
  if (!row) {
    const failed = phantom!.failed + 1;
    if (unknownNames.size > 10_000) unknownNames.clear();
    unknownNames.set(
      name,
      failed >= LOCK_AFTER_FAILURES
        ? { failed: 0, lockedUntil: now.getTime() + LOCK_MS }
        : { failed, lockedUntil: 0 },
    );
    return { ok: false, code: 'AUTH_FAILED' };
  }
  if (!matches || Number(row.disabled) !== 0) {
    // Counted in the store, so two servers on one team store share the count.
    const failed = Number(row.failed_logins) + 1;
    const locks = failed >= LOCK_AFTER_FAILURES;
    await db
      .updateTable('account')
      .set({
        failed_logins: locks ? 0 : failed,
        locked_until: locks ? new Date(now.getTime() + LOCK_MS).toISOString() : row.locked_until,
      })
      .where('id', '=', row.id)
      .execute();
    return { ok: false, code: 'AUTH_FAILED' };
  }
  await db
    .updateTable('account')
    .set({ failed_logins: 0, locked_until: null })
    .where('id', '=', row.id)
    .execute();
  return { ok: true, account: { id: Number(row.id), name: row.name, role: checkRole(row.role) } };
}

/**
 * The account of a person the identity provider signed in (`oidc:NAME`, a name no password can
 * sign in with: `checkLogin` takes no `:`), made at their first sign-in and given the role their
 * groups map to at each one. A disabled one stays refused. Returns its id, or null if disabled.
 */
export async function oidcAccount(
  db: Kysely<Database>,
  name: string,
  role: Role,
  by: Actor,
): Promise<number | null> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('account')
      .select(['id', 'role', 'disabled'])
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row) {
      await trx
        .insertInto('account')
        // No password opens it: a hash of nothing (verifyPassword never matches a malformed one).
        .values({ name, role, password_hash: 'oidc', created_at: by.at.toISOString() })
        .execute();
      await writeAudit(trx, { ...by, action: 'account.add', target: name, details: { role } });
      return accountId(trx, name);
    }
    if (Number(row.disabled) !== 0) return null;
    if (row.role !== role) {
      await trx.updateTable('account').set({ role }).where('id', '=', row.id).execute();
      await writeAudit(trx, {
        ...by,
        action: 'account.role',
        target: name,
        details: { from: row.role, to: role, via: 'oidc groups' },
      });
    }
    return Number(row.id);
  });
}
