import { z } from 'zod';
import { request, returns } from './channel.js';
import type { Role, SessionAccount } from './roles.js';

/*
 * Accounts and API tokens of a team server, managed through the contract (the Users page) as
 * the CLI's `user` and `token` commands manage them: every channel here is an admin's
 * (CHANNEL_ROLES), and the core runs the same functions for both (core/accounts). The one
 * person at a local store has no accounts: these channels answer TEAM_SERVER_ONLY there.
 * Names, roles and passwords are checked by the core, so a bad one gets the same typed error
 * whichever way it came in; the schemas only bound their size.
 */

export interface AccountInfo extends SessionAccount {
  readonly disabled: boolean;
  readonly createdAt: string;
  /** Set while (and after) a lockout: the account is locked when this is in the future. */
  readonly lockedUntil: string | null;
  /** The last successful sign-in, as the audit log records it; null if never. */
  readonly lastLoginAt: string | null;
}

export interface TokenInfo {
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revoked: boolean;
}

/** A new token: `secret` is in this reply and nowhere else, ever (the store keeps its hash). */
export interface CreatedToken {
  readonly name: string;
  readonly role: Role;
  readonly expiresAt: string;
  readonly secret: string;
}

const name = z.string().max(200);
const role = z.string().max(32);
/** Longer than any password the core accepts, so the core's own message answers a long one. */
const password = z.string().max(4096);
const byName = z.object({ name }).strict();

export const accountChannels = {
  'users:list': request(z.object({}).strict(), returns<AccountInfo[]>()),
  'users:add': request(z.object({ name, role, password }).strict(), returns<AccountInfo>()),
  'users:setRole': request(z.object({ name, role }).strict(), returns<AccountInfo>()),
  /** Disabling ends the account's sessions; enabling lets it sign in again. */
  'users:setDisabled': request(
    z.object({ name, disabled: z.boolean() }).strict(),
    returns<AccountInfo>(),
  ),
  'users:unlock': request(byName, returns<AccountInfo>()),
  /** An admin's reset: the new password ends every session the old one opened. */
  'users:setPassword': request(z.object({ name, password }).strict(), returns<AccountInfo>()),
  'users:logoutAll': request(byName, returns<AccountInfo>()),
  'tokens:list': request(z.object({}).strict(), returns<TokenInfo[]>()),
  'tokens:create': request(
    z.object({ name, role, expiresIn: z.string().max(16).default('30d') }).strict(),
    returns<CreatedToken>(),
  ),
  'tokens:revoke': request(byName, returns<TokenInfo>()),
};
