import { createHash, createPublicKey, randomBytes, timingSafeEqual, verify } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../shared/errors.js';
import type { Role } from '../../shared/roles.js';
import { ROLES } from '../../shared/roles.js';

/*
 * OIDC sign-in for a team server (issue 17, second step): the authorization code flow with PKCE
 * (S256) against the team's identity provider, the ID token's signature checked against the
 * provider's JWKS (RS256 or ES256, node:crypto only), its issuer, audience, expiry and nonce
 * checked, and the person's groups mapped to a role. What the server then does with the person
 * (an `oidc:` account, a session) is team-auth's.
 */

export interface OidcOptions {
  /** The provider's issuer URL: its discovery document is at ISSUER/.well-known/openid-configuration. */
  readonly issuer: string;
  readonly clientId: string;
  /** For a confidential client; a public client sends none (PKCE protects the code). */
  readonly clientSecret?: string;
  /** The ID token claim holding the person's groups (default `groups`). */
  readonly groupsClaim?: string;
  /** The groups that give each role; the highest role any of the person's groups gives wins. */
  readonly roleGroups: Readonly<Partial<Record<Role, readonly string[]>>>;
}

/** Who the provider says signed in. */
export interface OidcPerson {
  /** `oidc:NAME` (preferred_username, else email, else sub): never a local account's name. */
  readonly name: string;
  readonly role: Role;
  readonly groups: readonly string[];
}

interface Discovery {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
}

interface Pending {
  readonly verifier: string;
  readonly nonce: string;
  readonly redirectUri: string;
  readonly at: number;
}

/** The cookie that ties the provider's answer to the browser that started the sign-in. */
export const OIDC_STATE_COOKIE = 'infrascope_oidc_state';
/** A sign-in started longer ago than this is refused at the callback. */
const PENDING_MS = 10 * 60_000;
const MAX_PENDING = 10_000;
/** Clock skew allowed on the token's times. */
const SKEW_S = 60;
const FETCH_MS = 10_000;
const OIDC_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

const b64url = (b: Buffer): string => b.toString('base64url');

/** The role the groups give: the highest role one of them is mapped to, or null for none. */
export function roleFromGroups(
  groups: readonly string[],
  map: OidcOptions['roleGroups'],
): Role | null {
  for (const role of [...ROLES].reverse()) {
    if ((map[role] ?? []).some((g) => groups.includes(g))) return role;
  }
  return null;
}

function refused(message: string): AppError {
  return new AppError('AUTH_FAILED', `OIDC sign-in refused: ${message}`);
}

async function getJson(url: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(FETCH_MS) });
  const body = (await res.json().catch(() => null)) as unknown;
  if (!res.ok || body === null || typeof body !== 'object') {
    throw refused(`${new URL(url).pathname} answered HTTP ${res.status}`);
  }
  return body as Record<string, unknown>;
}

/**
 * Checks a compact JWS against the keys of a JWKS: RS256 or ES256, by `kid` (or every key of that
 * type when the token names none). Returns the payload; throws AUTH_FAILED otherwise.
 */
export function verifyJws(token: string, keys: readonly JsonWebKey[]): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw refused('the ID token is not a signed JWT');
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: unknown; kid?: unknown };
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw refused('the ID token is malformed');
  }
  // Never `none`, never HMAC with a public key as the secret: only the two asymmetric algorithms.
  const kty = header.alg === 'RS256' ? 'RSA' : header.alg === 'ES256' ? 'EC' : null;
  if (!kty) throw refused(`the ID token's algorithm ${String(header.alg)} is not accepted`);
  const candidates = keys.filter(
    (k) => k.kty === kty && (header.kid === undefined || k['kid'] === header.kid),
  );
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const ok = candidates.some((jwk) => {
    try {
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      return verify(
        'sha256',
        data,
        kty === 'EC' ? { key, dsaEncoding: 'ieee-p1363' } : key,
        signature,
      );
    } catch {
      return false;
    }
  });
  if (!ok) throw refused("the ID token's signature does not verify against the provider's keys");
  if (payload === null || typeof payload !== 'object') throw refused('the ID token has no claims');
  return payload as Record<string, unknown>;
}

export interface OidcFlow {
  /** Where to send the browser to sign in, and the state cookie that goes with it. */
  start(redirectUri: string): Promise<{ location: string; state: string }>;
  /** The person the provider's answer (`code`, `state`) speaks for; AUTH_FAILED otherwise. */
  finish(query: URLSearchParams, stateCookie: string): Promise<OidcPerson>;
}

export function createOidcFlow(opts: OidcOptions, now: () => Date): OidcFlow {
  const issuer = opts.issuer.replace(/\/$/, '');
  const pending = new Map<string, Pending>();
  let discovery: Promise<Discovery> | null = null;
  let jwks: { keys: JsonWebKey[]; at: number } | null = null;

  const discover = (): Promise<Discovery> => {
    discovery ??= getJson(`${issuer}/.well-known/openid-configuration`).then((d) => {
      const ends = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;
      for (const e of ends) {
        if (typeof d[e] !== 'string') throw refused(`the provider's discovery has no ${e}`);
      }
      if (d['issuer'] !== undefined && String(d['issuer']).replace(/\/$/, '') !== issuer) {
        throw refused("the provider's discovery names another issuer");
      }
      return d as unknown as Discovery;
    });
    // A failed discovery is tried again at the next sign-in, not remembered.
    discovery.catch(() => (discovery = null));
    return discovery;
  };

  /** The provider's keys; fetched again (at most once a minute) when a token names a new one. */
  const keysFor = async (kid: unknown): Promise<JsonWebKey[]> => {
    const t = now().getTime();
    const known = jwks?.keys.some((k) => kid === undefined || k['kid'] === kid);
    if (!jwks || (!known && t - jwks.at > 60_000)) {
      const body = await getJson((await discover()).jwks_uri);
      jwks = { keys: Array.isArray(body['keys']) ? (body['keys'] as JsonWebKey[]) : [], at: t };
    }
    return jwks.keys;
  };

  return {
    async start(redirectUri) {
      const d = await discover();
      const t = now().getTime();
      for (const [k, v] of pending) if (t - v.at > PENDING_MS) pending.delete(k);
      if (pending.size >= MAX_PENDING)
        throw new AppError('AUTH_LOCKED', 'Too many sign-ins at once');
      const state = b64url(randomBytes(24));
      const verifier = b64url(randomBytes(32));
      const nonce = b64url(randomBytes(16));
      pending.set(state, { verifier, nonce, redirectUri, at: t });
      const url = new URL(d.authorization_endpoint);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: opts.clientId,
        redirect_uri: redirectUri,
        scope: 'openid profile email groups',
        state,
        nonce,
        code_challenge: b64url(createHash('sha256').update(verifier).digest()),
        code_challenge_method: 'S256',
      }).toString();
      return { location: url.toString(), state };
    },

    async finish(query, stateCookie) {
      const state = query.get('state') ?? '';
      const flow = pending.get(state);
      // The state must be one this server handed out, to this browser (its cookie), recently.
      const sameBrowser =
        stateCookie.length === state.length &&
        state.length > 0 &&
        timingSafeEqual(Buffer.from(stateCookie), Buffer.from(state));
      if (!flow || !sameBrowser || now().getTime() - flow.at > PENDING_MS) {
        throw refused('the sign-in was not started here, or too long ago');
      }
      pending.delete(state);
      if (query.get('error'))
        throw refused(`the provider said ${query.get('error')!.slice(0, 100)}`);
      const code = query.get('code');
      if (!code) throw refused('the provider sent no code');
      const d = await discover();
      const form = new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: flow.redirectUri,
        client_id: opts.clientId,
        code_verifier: flow.verifier,
      });
      if (opts.clientSecret) form.set('client_secret', opts.clientSecret);
      const tokens = await getJson(d.token_endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      const idToken = typeof tokens['id_token'] === 'string' ? tokens['id_token'] : '';
      let kid: unknown;
      try {
        kid = (
          JSON.parse(Buffer.from(idToken.split('.')[0] ?? '', 'base64url').toString()) as {
            kid?: unknown;
          }
        ).kid;
      } catch {
        kid = undefined;
      }
      const claims = verifyJws(idToken, await keysFor(kid));
      const t = now().getTime() / 1000;
      const aud = claims['aud'];
      const audiences = Array.isArray(aud) ? aud : [aud];
      if (String(claims['iss']).replace(/\/$/, '') !== issuer) throw refused('wrong issuer');
      if (!audiences.includes(opts.clientId)) throw refused('the token is for another client');
      if (typeof claims['exp'] !== 'number' || claims['exp'] + SKEW_S < t)
        throw refused('the token has expired');
      if (typeof claims['iat'] === 'number' && claims['iat'] - SKEW_S > t)
        throw refused('the token is issued in the future');
      if (claims['nonce'] !== flow.nonce) throw refused('the token is not for this sign-in');
      const who = [claims['preferred_username'], claims['email'], claims['sub']].find(
        (v): v is string => typeof v === 'string' && OIDC_NAME.test(v),
      );
      if (!who) throw refused('the token names nobody this server can name');
      const raw = claims[opts.groupsClaim ?? 'groups'];
      const groups = Array.isArray(raw)
        ? raw.filter((g): g is string => typeof g === 'string')
        : [];
      const role = roleFromGroups(groups, opts.roleGroups);
      if (!role) {
        throw new AppError(
          'FORBIDDEN',
          `OIDC sign-in refused: none of ${who}'s groups has a role here`,
        );
      }
      return { name: `oidc:${who}`, role, groups };
    },
  };
}

/** The request's query. */
export function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
}
