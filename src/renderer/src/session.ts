import type { Channel } from '../../shared/contract.js';
import type { SessionAccount } from '../../shared/roles.js';
import {
  AUTH_LOGIN_PATH,
  AUTH_LOGOUT_PATH,
  AUTH_SESSION_PATH,
  roleAtLeast,
  roleFor,
} from '../../shared/roles.js';

/*
 * Who this page speaks for. The desktop app and a loopback serve with its per-run token are the
 * one person at the machine (admin, no account); a team server (serve in accounts mode) answers
 * GET /auth/session with the signed-in account, or 401 when the login page must show.
 */

export type SessionState =
  | { readonly kind: 'local' }
  | { readonly kind: 'account'; readonly account: SessionAccount }
  /** `oidc`: the server also signs people in through the team's identity provider. */
  | { readonly kind: 'signed-out'; readonly oidc: boolean };

let current: SessionState = { kind: 'local' };

/** Asks the server; a serve without accounts has no such route (its page comes back instead). */
export async function loadSession(hasLocalToken: boolean): Promise<SessionState> {
  if (window.infrascope || hasLocalToken) return (current = { kind: 'local' });
  const response = await fetch(AUTH_SESSION_PATH, { credentials: 'same-origin' });
  if (!(response.headers.get('content-type') ?? '').includes('application/json')) {
    return (current = { kind: 'local' });
  }
  const body = (await response.json()) as { account?: SessionAccount; oidc?: boolean };
  current = body.account
    ? { kind: 'account', account: body.account }
    : { kind: 'signed-out', oidc: body.oidc === true };
  return current;
}

export function session(): SessionState {
  return current;
}

/**
 * Whether the page should offer what `channel` does. Hiding is for the person's sake; the
 * server's dispatcher refuses it anyway.
 */
export function can(channel: Channel): boolean {
  return current.kind !== 'account' || roleAtLeast(current.account.role, roleFor(channel));
}

/** Signs in; resolves with null, or the server's message when refused. */
export async function signIn(username: string, password: string): Promise<string | null> {
  const response = await fetch(AUTH_LOGIN_PATH, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
    credentials: 'same-origin',
  });
  if (response.ok) return null;
  const body = (await response.json().catch(() => null)) as { message?: string } | null;
  return body?.message ?? `Sign-in failed (HTTP ${response.status})`;
}

export async function signOut(): Promise<void> {
  await fetch(AUTH_LOGOUT_PATH, { method: 'POST', credentials: 'same-origin' });
  location.reload();
}
