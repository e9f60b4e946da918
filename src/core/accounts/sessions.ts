import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { TokenInfo } from '../../shared/accounts.js';
import { AppError } from '../../shared/errors.js';
import type { SessionAccount } from '../../shared/roles.js';
import { isRole } from '../../shared/roles.js';
import { writeAudit } from '../endpoints/audit.js';
import type { Database } from '../store/schema.js';
import type { Actor } from './accounts.js';
import { checkRole } from './accounts.js';

/*
 * Sign-in sessions and API tokens. Both are 32 random bytes handed out once; the store keeps only
 * their SHA-256 (a fast hash is enough for 256 bits of randomness, unlike a password), so a copy
 * of the store or its backup opens nothing.
 */

export interface SessionTimeouts {
  /** A session unused this long is over. */
  readonly idleMs: number;
  /** A session this old is over however much it is used. */
  readonly absoluteMs: number;
}

export const DEFAULT_TIMEOUTS: SessionTimeouts = {
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 3_600_000,
};
/** last_seen_at is written at most this often, not on every request. */
const TOUCH_MS = 60_000;
const TOKEN_PREFIX = 'isk_';

export function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Opens a session for the account; returns the cookie value (never stored). */
export async function openSession(
  db: Kysely<Database>,
  accountId: number,
  source: string,
  now: Date,
): Promise<string> {
  const secret = randomBytes(32).toString('base64url');
  await db
    .insertInto('account_session')
    .values({
      id_hash: digest(secret),
      account_id: accountId,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      source: source.slice(0, 100),
    })
    .execute();
  return secret;
}

export async function closeSession(db: Kysely<Database>, secret: string): Promise<void> {
  await db.deleteFrom('account_session').where('id_hash', '=', digest(secret)).execute();
}

/**
 * The account a session cookie speaks for, or null when the session is unknown, idle or too old,
 * its account disabled, or ended by "log out everywhere". A dead session is deleted.
 */
export async function sessionAccount(
  db: Kysely<Database>,
  secret: string,
  now: Date,
  timeouts: SessionTimeouts = DEFAULT_TIMEOUTS,
): Promise<(SessionAccount & { readonly id: number }) | null> {
  if (!secret || secret.length > 100) return null;
  const idHash = digest(secret);
  const row = await db
    .selectFrom('account_session as s')
    .innerJoin('account as a', 'a.id', 's.account_id')
    .select([
      'a.id',
      'a.name',
      'a.role',
      'a.disabled',
      'a.sessions_valid_after',
      's.created_at',
      's.last_seen_at',
    ])
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row) return null;
  const t = now.getTime();
  const created = Date.parse(row.created_at);
  const dead =
    Number(row.disabled) !== 0 ||
    !isRole(row.role) ||
    t - Date.parse(row.last_seen_at) > timeouts.idleMs ||
    t - created > timeouts.absoluteMs ||
    (row.sessions_valid_after !== null && created < Date.parse(row.sessions_valid_after));
  if (dead) {
    await db.deleteFrom('account_session').where('id_hash', '=', idHash).execute();
    return null;
  }
  if (t - Date.parse(row.last_seen_at) > TOUCH_MS) {
    await db
      .updateTable('account_session')
      .set({ last_seen_at: now.toISOString() })
      .where('id_hash', '=', idHash)
      .execute();
  }
  return { id: Number(row.id), name: row.name, role: checkRole(row.role) };
}

/** `30d`, `12h`, `90m` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,4})([mhd])$/.exec(text.trim());
  if (!m) throw new AppError('VALIDATION', `Say a duration as 30d, 12h or 90m, not ${text}`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0 || ms > 366 * 86_400_000)
    throw new AppError('VALIDATION', 'A token lasts from a minute to a year');
  return ms;
}

export type { TokenInfo };

/** Creates an API token; returns its secret, which is shown once and never stored. */
export async function createToken(
  db: Kysely<Database>,
  input: { name: string; role: string; expiresIn: string },
  by: Actor,
): Promise<{ secret: string; expiresAt: string }> {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(input.name)) {
    throw new AppError('VALIDATION', 'A token name has 1 to 64 letters, digits, ".", "_" or "-"');
  }
  const role = checkRole(input.role);
  const expiresAt = new Date(by.at.getTime() + parseDuration(input.expiresIn)).toISOString();
  const secret = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  await db.transaction().execute(async (trx) => {
    const taken = await trx
      .selectFrom('api_token')
      .select('id')
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (taken) throw new AppError('CONFLICT', `A token ${input.name} exists already`);
    await trx
      .insertInto('api_token')
      .values({
        name: input.name,
        role,
        token_hash: digest(secret),
        created_at: by.at.toISOString(),
        expires_at: expiresAt,
      })
      .execute();
    await writeAudit(trx, {
      ...by,
      action: 'token.create',
      target: input.name,
      details: { role, expiresAt },
    });
  });
  return { secret, expiresAt };
}

export async function revokeToken(db: Kysely<Database>, name: string, by: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('api_token')
      .set({ revoked_at: by.at.toISOString() })
      .where('name', '=', name)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) throw new AppError('NOT_FOUND', `No live token ${name}`);
    await writeAudit(trx, { ...by, action: 'token.revoke', target: name });
  });
}

/** The API tokens (or the one named); never their secrets, which are not stored. */
export async function listTokens(db: Kysely<Database>, only?: string): Promise<TokenInfo[]> {
  let q = db.selectFrom('api_token').selectAll().orderBy('name');
  if (only !== undefined) q = q.where('name', '=', only);
  const rows = await q.execute();
  return rows.map((r) => ({
    name: r.name,
    role: checkRole(r.role),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revoked: r.revoked_at !== null,
  }));
}

/** What a Bearer token speaks for (`token:<name>` and its role), or null if unknown, revoked or expired. */
export async function tokenAccount(
  db: Kysely<Database>,
  secret: string,
  now: Date,
): Promise<SessionAccount | null> {
  if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 100) return null;
  const row = await db
    .selectFrom('api_token')
    .select(['name', 'role', 'expires_at', 'revoked_at'])
    .where('token_hash', '=', digest(secret))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null || Date.parse(row.expires_at) <= now.getTime()) return null;
  if (!isRole(row.role)) return null;
  return { name: `token:${row.name}`, role: row.role };
}
