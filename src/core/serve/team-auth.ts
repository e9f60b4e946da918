import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import {
  AUTH_LOGIN_PATH,
  AUTH_OIDC_CALLBACK_PATH,
  AUTH_OIDC_START_PATH,
  AUTH_LOGOUT_ALL_PATH,
  AUTH_LOGOUT_PATH,
  AUTH_SESSION_PATH,
  SESSION_COOKIE,
} from '../../shared/roles.js';
import type { SessionAccount } from '../../shared/roles.js';
import { checkLogin, logoutEverywhere, oidcAccount } from '../accounts/accounts.js';
import { serializeError } from '../../shared/errors.js';
import type { OidcFlow } from './oidc.js';
import { OIDC_STATE_COOKIE, queryOf } from './oidc.js';
import type { SessionTimeouts } from '../accounts/sessions.js';
import {
  DEFAULT_TIMEOUTS,
  closeSession,
  openSession,
  sessionAccount,
  tokenAccount,
} from '../accounts/sessions.js';
import { writeAudit } from '../endpoints/audit.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/schema.js';

/*
 * Accounts mode of `serve` (issue 17): the sign-in routes, and who a request speaks for (a
 * session cookie or an API token). Every refusal of a sign-in has one shape whatever the reason,
 * and every sign-in, failed or not, is audited with the name tried and the source address.
 */

/** Failed sign-ins from one address within `ADDRESS_WINDOW_MS` that block the address. */
export const ADDRESS_MAX_FAILURES = 20;
const ADDRESS_WINDOW_MS = 15 * 60_000;
/** A login body is a name and a password: anything longer is refused unread. */
const MAX_LOGIN_BYTES = 4096;

export interface Identity {
  readonly account: SessionAccount;
  /** `alice@10.0.0.5`: what the audit log records. */
  readonly actor: string;
  /** The session cookie's value, when the identity came from one (re-checked on each message). */
  readonly session?: string;
  readonly bearer?: string;
}

export interface TeamAuthOptions {
  readonly db: Kysely<Database>;
  readonly log: Logger;
  readonly now: () => Date;
  readonly secure: boolean;
  readonly timeouts?: SessionTimeouts;
  /** Whether the request's Origin header is this server's own origin. */
  readonly ownOrigin: (req: IncomingMessage) => boolean;
  /** Waits before answering a failed sign-in (tests pass one that does not wait). */
  readonly backoff?: (ms: number) => Promise<void>;
  /** Sign-in through the team's identity provider, when configured (serve's OIDC options). */
  readonly oidc?: OidcFlow;
}

export function sourceOf(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}

function cookieValue(req: IncomingMessage, name: string): string {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return '';
}

function bearerOf(req: IncomingMessage): string {
  const m = /^Bearer ([A-Za-z0-9_-]{1,100})$/.exec(req.headers.authorization ?? '');
  return m?.[1] ?? '';
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      ...headers,
    })
    .end(JSON.stringify(body));
}

/** Reads a small JSON body; null when it is too large, not JSON or not an object. */
function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_LOGIN_BYTES) {
      req.resume();
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_LOGIN_BYTES) {
        resolve(null);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('error', () => resolve(null));
    req.on('end', () => {
      try {
        const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolve(
          v !== null && typeof v === 'object' && !Array.isArray(v)
            ? (v as Record<string, unknown>)
            : null,
        );
      } catch {
        resolve(null);
      }
    });
  });
}

export interface TeamAuth {
  /** Answers `/auth/*`; false when the path is not one of them. */
  route(req: IncomingMessage, res: ServerResponse): boolean;
  /** Who the request speaks for, from its session cookie or Bearer token; null for nobody. */
  identify(req: IncomingMessage): Promise<Identity | null>;
  /** Whether an identity is still valid (the session may have been ended since). */
  stillValid(id: Identity): Promise<boolean>;
}

export function createTeamAuth(opts: TeamAuthOptions): TeamAuth {
  const { db, log, now } = opts;
  const timeouts = opts.timeouts ?? DEFAULT_TIMEOUTS;
  const backoff = opts.backoff ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const addressFailures = new Map<string, number[]>();
  const unknownNames = new Map<string, { failed: number; lockedUntil: number }>();
  // Sign-ins of one name run one at a time, so parallel tries cannot all read "0 failures".
  const perName = new Map<string, Promise<unknown>>();

  const cookie = (value: string, maxAge: number): string =>
    `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${opts.secure ? '; Secure' : ''}`;

  const recentFailures = (source: string): number[] => {
    const t = now().getTime();
    const list = (addressFailures.get(source) ?? []).filter((x) => t - x < ADDRESS_WINDOW_MS);
    addressFailures.set(source, list);
    return list;
  };

  const login = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const source = sourceOf(req);
    const body = await readJson(req);
    const username = typeof body?.['username'] === 'string' ? body['username'].slice(0, 64) : '';
    const password = typeof body?.['password'] === 'string' ? body['password'] : '';
    if (!username || !password) {
      sendJson(res, 400, { code: 'VALIDATION', message: 'Send {"username", "password"} as JSON' });
      return;
    }
    const audit = (action: string, details: Record<string, unknown> = {}): Promise<void> =>
      writeAudit(db, {
        actor: `${username}@${source}`,
        action,
        target: username,
        details: { source, ...details },
        at: now(),
      });
    if (recentFailures(source).length >= ADDRESS_MAX_FAILURES) {
      await audit('auth.login-refused', { reason: 'address-locked' });
      sendJson(res, 423, {
        code: 'AUTH_LOCKED',
        message: 'Too many failed sign-ins: try again later',
      });
      return;
    }
    const previous = perName.get(username) ?? Promise.resolve();
    const run = previous.then(() => checkLogin(db, username, password, now(), unknownNames));
    perName.set(
      username,
      run.catch(() => undefined),
    );
    const outcome = await run;
    if (perName.get(username) === run) perName.delete(username);
    if (outcome.ok) {
      addressFailures.delete(source);
      const secret = await openSession(db, outcome.account.id, source, now());
      await audit('auth.login');
      sendJson(
        res,
        200,
        { account: { name: outcome.account.name, role: outcome.account.role } },
        { 'Set-Cookie': cookie(secret, Math.floor(timeouts.absoluteMs / 1000)) },
      );
      return;
    }
    if (outcome.code === 'AUTH_LOCKED') {
      await audit('auth.login-refused', { reason: 'account-locked' });
      sendJson(res, 423, {
        code: 'AUTH_LOCKED',
        message: 'This account is locked after failed sign-ins: try again later or ask an admin',
      });
      return;
    }
    const failures = recentFailures(source);
    failures.push(now().getTime());
    await audit('auth.login-failed');
    // Each failure from one address waits longer before its answer (100 ms doubling, up to 3 s).
    await backoff(Math.min(100 * 2 ** (failures.length - 1), 3000));
    sendJson(res, 401, { code: 'AUTH_FAILED', message: 'Wrong account name or password' });
  };

  const identify = async (req: IncomingMessage): Promise<Identity | null> => {
    const source = sourceOf(req);
    const session = cookieValue(req, SESSION_COOKIE);
    if (session) {
      const account = await sessionAccount(db, session, now(), timeouts);
      if (account)
        return {
          account: { name: account.name, role: account.role },
          actor: `${account.name}@${source}`,
          session,
        };
    }
    const bearer = bearerOf(req);
    if (bearer) {
      const account = await tokenAccount(db, bearer, now());
      if (account) return { account, actor: `${account.name}@${source}`, bearer };
    }
    return null;
  };

  /**
   * The provider sends the browser back here from its own site: a top-level GET, which carries
   * SameSite=Lax cookies only — hence the state cookie is Lax (and scoped to these routes).
   */
  const stateCookie = (value: string, maxAge: number): string =>
    `${OIDC_STATE_COOKIE}=${value}; HttpOnly; SameSite=Lax; Path=/auth/oidc; Max-Age=${maxAge}${opts.secure ? '; Secure' : ''}`;
  const callbackUri = (req: IncomingMessage): string =>
    // The Host header is one of the server's names: the server refused the request otherwise.
    `${opts.secure ? 'https' : 'http'}://${req.headers.host ?? ''}${AUTH_OIDC_CALLBACK_PATH}`;

  const oidcStart = async (
    flow: OidcFlow,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> => {
    const { location, state } = await flow.start(callbackUri(req));
    res
      .writeHead(302, {
        Location: location,
        'Set-Cookie': stateCookie(state, 600),
        'Cache-Control': 'no-store',
      })
      .end();
  };

  const oidcCallback = async (
    flow: OidcFlow,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> => {
    const source = sourceOf(req);
    const refuse = async (who: string, status: number, message: string): Promise<void> => {
      recentFailures(source).push(now().getTime());
      await writeAudit(db, {
        actor: `${who}@${source}`,
        action: 'auth.login-failed',
        target: who,
        details: { source, via: 'oidc', reason: message },
        at: now(),
      });
      res
        .writeHead(status, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Cache-Control': 'no-store',
          'Set-Cookie': stateCookie('', 0),
        })
        .end(`${message}\n`);
    };
    if (recentFailures(source).length >= ADDRESS_MAX_FAILURES) {
      await refuse('oidc', 423, 'Too many failed sign-ins: try again later');
      return;
    }
    let person;
    try {
      person = await flow.finish(queryOf(req), cookieValue(req, OIDC_STATE_COOKIE));
    } catch (e) {
      const error = serializeError(e);
      await refuse('oidc', error.code === 'FORBIDDEN' ? 403 : 401, error.message);
      return;
    }
    const actor = `${person.name}@${source}`;
    const id = await oidcAccount(db, person.name, person.role, { actor, at: now() });
    if (id === null) {
      await refuse(person.name, 403, 'This account is disabled: ask an admin');
      return;
    }
    const secret = await openSession(db, id, source, now());
    await writeAudit(db, {
      actor,
      action: 'auth.login',
      target: person.name,
      details: { source, via: 'oidc', role: person.role },
      at: now(),
    });
    res
      .writeHead(302, {
        Location: '/',
        'Cache-Control': 'no-store',
        'Set-Cookie': [cookie(secret, Math.floor(timeouts.absoluteMs / 1000)), stateCookie('', 0)],
      })
      .end();
  };

  const guarded = (req: IncomingMessage, res: ServerResponse, what: () => Promise<void>): void => {
    what().catch((e: unknown) => {
      log.error({ err: e }, 'serve: sign-in route failed');
      if (!res.headersSent) sendJson(res, 500, { code: 'INTERNAL', message: 'Server error' });
      else res.destroy();
    });
  };

  return {
    route(req, res) {
      const path = (req.url ?? '').split('?')[0];
      if (
        path !== AUTH_LOGIN_PATH &&
        path !== AUTH_LOGOUT_PATH &&
        path !== AUTH_SESSION_PATH &&
        path !== AUTH_LOGOUT_ALL_PATH &&
        path !== AUTH_OIDC_START_PATH &&
        path !== AUTH_OIDC_CALLBACK_PATH
      )
        return false;
      if (path === AUTH_SESSION_PATH) {
        req.resume();
        guarded(req, res, async () => {
          const id = await identify(req);
          if (id) sendJson(res, 200, { account: id.account });
          // `oidc` tells the sign-in page to offer the identity provider's sign-in.
          else
            sendJson(res, 401, {
              code: 'AUTH_REQUIRED',
              message: 'Not signed in',
              oidc: opts.oidc !== undefined,
            });
        });
        return true;
      }
      if (path === AUTH_OIDC_START_PATH || path === AUTH_OIDC_CALLBACK_PATH) {
        req.resume();
        if (!opts.oidc || req.method !== 'GET') {
          sendJson(res, 404, { code: 'NOT_FOUND', message: 'No OIDC sign-in on this server' });
          return true;
        }
        const flow = opts.oidc;
        guarded(req, res, () =>
          path === AUTH_OIDC_START_PATH ? oidcStart(flow, req, res) : oidcCallback(flow, req, res),
        );
        return true;
      }
      // State-changing: POST only, and from our own page when a browser sends it (a browser
      // always sends Origin on a POST; a script may send none).
      const origin = req.headers.origin;
      if (req.method !== 'POST' || (origin !== undefined && !opts.ownOrigin(req))) {
        req.resume();
        log.warn({ path, method: req.method }, 'serve: sign-in request refused (method or origin)');
        sendJson(res, 403, { code: 'FORBIDDEN', message: 'Refused: wrong method or origin' });
        return true;
      }
      if (path === AUTH_LOGIN_PATH) {
        guarded(req, res, () => login(req, res));
        return true;
      }
      req.resume();
      guarded(req, res, async () => {
        const id = await identify(req);
        if (path === AUTH_LOGOUT_ALL_PATH) {
          if (!id?.session) {
            sendJson(res, 401, { code: 'AUTH_REQUIRED', message: 'Not signed in' });
            return;
          }
          await logoutEverywhere(db, id.account.name, { actor: id.actor, at: now() });
        } else if (id?.session) {
          await closeSession(db, id.session);
          await writeAudit(db, {
            actor: id.actor,
            action: 'auth.logout',
            target: id.account.name,
            at: now(),
          });
        }
        sendJson(res, 200, { ok: true }, { 'Set-Cookie': cookie('', 0) });
      });
      return true;
    },
    identify,
    async stillValid(id) {
      if (id.session) return (await sessionAccount(db, id.session, now(), timeouts)) !== null;
      if (id.bearer) return (await tokenAccount(db, id.bearer, now())) !== null;
      return false;
    },
  };
}
