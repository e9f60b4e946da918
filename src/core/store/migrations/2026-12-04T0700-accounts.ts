import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * People for the team server (issue 17): local accounts with a role and an scrypt hash, their
 * sign-in sessions (only the SHA-256 of the cookie is kept, so a copy of the store opens no
 * session) and API tokens for scripts (hashed the same way, scoped to a role, expiring).
 * `sessions_valid_after` is "log out everywhere": a session started before it is dead, which the
 * CLI can set while a server runs. The lockout lives here, not in the server's memory, so that
 * `user unlock` from another process lifts it. Frozen in time: never imports application code.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    `CREATE TABLE account (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      role TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      disabled INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      failed_logins INTEGER NOT NULL DEFAULT 0,
      locked_until TEXT,
      sessions_valid_after TEXT
    )`,
    `CREATE TABLE account_session (
      id_hash TEXT PRIMARY KEY,
      account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
      created_at TEXT NOT NULL,
      last_seen_at TEXT NOT NULL,
      source TEXT NOT NULL
    )`,
    'CREATE INDEX account_session_account ON account_session (account_id)',
    `CREATE TABLE api_token (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      role TEXT NOT NULL,
      token_hash TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      revoked_at TEXT
    )`,
  ]) {
    await sql.raw(statement).execute(db);
  }
}
