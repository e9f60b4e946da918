import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import { makeSelfSigned } from '../../../tests/doubles/self-signed.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';
import type { StoreEngine } from '../store/location.js';
import { serveSmallUi } from '../../../tests/hardening/serve-fuzz.js';
import { addAccount, listAccounts, setDisabled } from '../accounts/accounts.js';
import { roleFromGroups, verifyJws } from './oidc.js';
import type { ServeHandle } from './server.js';

/*
 * OIDC sign-in against a tiny identity provider written here: discovery, an authorize endpoint
 * that signs in whoever the test says, a token endpoint that checks the PKCE verifier against the
 * challenge (S256) as a real provider does, and a JWKS with an RSA key made by node:crypto.
 */

const CLIENT_ID = 'infrascope-test';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

interface Person {
  sub: string;
  preferred_username?: string;
  groups?: string[];
}
/** What the provider does at the next sign-in; each test sets it. */
let person: Person = { sub: 'u1' };
let tamper: { key?: KeyObject; aud?: string; exp?: number; alg?: string; nonce?: string } = {};
const codes = new Map<string, { challenge: string; nonce: string; redirect: string }>();
let provider: Server;
let issuer = '';

function jwt(claims: Record<string, unknown>): string {
  const header = { alg: tamper.alg ?? 'RS256', kid: 'k1', typ: 'JWT' };
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc(header)}.${enc(claims)}`;
  const signature =
    tamper.alg === 'none'
      ? ''
      : sign('sha256', Buffer.from(input), tamper.key ?? keys.privateKey).toString('base64url');
  return `${input}.${signature}`;
}

function startProvider(): Promise<void> {
  provider = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
        }),
      );
    } else if (url.pathname === '/jwks') {
      const jwk = keys.publicKey.export({ format: 'jwk' });
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ keys: [{ ...jwk, kid: 'k1', use: 'sig', alg: 'RS256' }] }));
    } else if (url.pathname === '/authorize') {
      const q = url.searchParams;
      if (q.get('client_id') !== CLIENT_ID || q.get('code_challenge_method') !== 'S256') {
        res.writeHead(400).end('bad authorize request');
        return;
      }
      const code = randomBytes(8).toString('hex');
      codes.set(code, {
        challenge: q.get('code_challenge')!,
        nonce: q.get('nonce')!,
        redirect: q.get('redirect_uri')!,
      });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state')!);
      res.writeHead(302, { Location: back.toString() }).end();
    } else if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (
          !grant ||
          grant.challenge !== challenge ||
          grant.redirect !== form.get('redirect_uri') ||
          form.get('client_id') !== CLIENT_ID
        ) {
          res
            .writeHead(400, { 'Content-Type': 'application/json' })
            .end('{"error":"invalid_grant"}');
          return;
        }
        const now = Math.floor(Date.now() / 1000);
        const idToken = jwt({
          iss: issuer,
          aud: tamper.aud ?? CLIENT_ID,
          iat: now,
          exp: tamper.exp ?? now + 300,
          nonce: tamper.nonce ?? grant.nonce,
          ...person,
        });
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ access_token: 'at', token_type: 'Bearer', id_token: idToken }));
      });
    } else res.writeHead(404).end();
  });
  return new Promise((resolve) =>
    provider.listen(0, '127.0.0.1', () => {
      issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

let h: CoreHarness;
let serve: ServeHandle;
const cert = makeSelfSigned('localhost');

beforeAll(startProvider);
afterAll(async () => {
  provider?.close();
  await stopSharedPostgres();
});

/** A team server (serve over TLS, the provider configured) on a store of `engine`. */
async function startTeamServer(engine: StoreEngine): Promise<void> {
  h = await makeCore({ store: await testStoreLocation(engine), host: 'serve' });
  // A local admin besides the provider's people, so that disabling one of them is allowed.
  await addAccount(
    h.core.store.db,
    { name: 'root', role: 'admin', password: 'root password' },
    { actor: 'cli:test', at: new Date() },
  );
  serve = await serveSmallUi(h.core, undefined, {
    tls: { cert: cert.cert, key: cert.key },
    loginBackoff: () => Promise.resolve(),
    oidc: {
      issuer,
      clientId: CLIENT_ID,
      roleGroups: { admin: ['infra-admins'], operator: ['infra-ops'], viewer: ['staff'] },
    },
  });
}
beforeEach(() => {
  tamper = {};
});

interface Answer {
  status: number;
  location: string;
  cookies: string[];
  body: string;
}

function get(url: string, cookie = ''): Promise<Answer> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      u,
      { method: 'GET', ca: cert.cert, headers: cookie ? { Cookie: cookie } : {} },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: String(res.headers.location ?? ''),
            cookies: res.headers['set-cookie'] ?? [],
            body,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const origin = (): string => `https://127.0.0.1:${serve.port}`;
const pair = (setCookie: string): string => setCookie.split(';')[0]!;

/** The browser's way through: start, the provider's authorize, the callback with the state cookie. */
async function signIn(opts: { stateCookie?: (real: string) => string } = {}): Promise<Answer> {
  const start = await get(`${origin()}/auth/oidc/start`);
  expect(start.status).toBe(302);
  const state = start.cookies.find((c) => c.startsWith('infrascope_oidc_state='))!;
  expect(state).toMatch(/HttpOnly; SameSite=Lax; Path=\/auth\/oidc; Max-Age=600; Secure$/);
  const authorize = new URL(start.location);
  expect(authorize.origin).toBe(issuer);
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${origin()}/auth/oidc/callback`);
  const back = await get(start.location);
  expect(back.status).toBe(302);
  const cookie = opts.stateCookie ? opts.stateCookie(pair(state)) : pair(state);
  return get(back.location, cookie);
}

async function sessionOf(done: Answer): Promise<unknown> {
  const session = done.cookies.find((c) => c.startsWith('infrascope_session='));
  if (!session) return null;
  const r = await get(`${origin()}/auth/session`, pair(session));
  return JSON.parse(r.body) as unknown;
}

async function audit(): Promise<string[]> {
  const rows = await h.core.store.db
    .selectFrom('audit_log')
    .select(['actor', 'action', 'details'])
    .orderBy('id')
    .execute();
  return rows.map((r) => `${r.actor} ${r.action} ${r.details}`);
}

describe('OIDC tokens and roles', () => {
  it('verifies an ES256 token (IEEE P1363 signature, as JWS has it) and refuses it altered', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${enc({ alg: 'ES256', kid: 'e1' })}.${enc({ sub: 'x' })}`;
    const sig = sign('sha256', Buffer.from(input), {
      key: ec.privateKey,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url');
    const jwks = [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'e1' }];
    expect(verifyJws(`${input}.${sig}`, jwks)).toEqual({ sub: 'x' });
    const altered = `${input.slice(0, -2)}${input.endsWith('A') ? 'B' : 'A'}${input.slice(-1)}`;
    expect(() => verifyJws(`${altered}.${sig}`, jwks)).toThrow(/signature|malformed/);
    // An RSA key of the same kid is not tried for an EC token.
    const rsa = [{ ...keys.publicKey.export({ format: 'jwk' }), kid: 'e1' }];
    expect(() => verifyJws(`${input}.${sig}`, rsa)).toThrow(/signature/);
  });

  it('maps groups to the highest role they give', () => {
    const map = { admin: ['a'], operator: ['o'], viewer: ['v'] };
    expect(roleFromGroups(['v', 'o'], map)).toBe('operator');
    expect(roleFromGroups(['a', 'v'], map)).toBe('admin');
    expect(roleFromGroups(['x'], map)).toBeNull();
  });
});

// Accounts, sessions and the audit live in the store: the sign-in runs on both engines.
describe.each(ENGINES)('OIDC sign-in (authorization code with PKCE) on a %s store', (engine) => {
  beforeAll(() => startTeamServer(engine));
  afterAll(async () => {
    await serve?.close();
    await h?.close();
  });

  it('signs a person in with the role their groups give, as oidc:NAME, audited', async () => {
    person = { sub: 'u-olga', preferred_username: 'olga', groups: ['staff', 'infra-ops'] };
    const done = await signIn();
    expect(done.status).toBe(302);
    expect(done.location).toBe('/');
    expect(done.cookies.find((c) => c.startsWith('infrascope_session='))).toMatch(
      /HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+; Secure$/,
    );
    expect(await sessionOf(done)).toEqual({ account: { name: 'oidc:olga', role: 'operator' } });
    expect((await listAccounts(h.core.store.db)).map((a) => `${a.name}:${a.role}`)).toEqual([
      'oidc:olga:operator',
      'root:admin',
    ]);
    const lines = await audit();
    expect(
      lines.some(
        (l) => l.startsWith('oidc:olga@127.0.0.1 auth.login ') && l.includes('"via":"oidc"'),
      ),
    ).toBe(true);

    // Her groups change at the provider: the next sign-in takes the new role, audited.
    person = { ...person, groups: ['infra-admins'] };
    expect(await sessionOf(await signIn())).toEqual({
      account: { name: 'oidc:olga', role: 'admin' },
    });
    expect((await audit()).some((l) => l.startsWith('oidc:olga@127.0.0.1 account.role'))).toBe(
      true,
    );
  });

  it('refuses a person none of whose groups has a role, and a disabled account', async () => {
    person = { sub: 'u-x', preferred_username: 'xavier', groups: ['marketing'] };
    const none = await signIn();
    expect(none.status).toBe(403);
    expect(await sessionOf(none)).toBeNull();
    expect((await listAccounts(h.core.store.db)).map((a) => a.name)).not.toContain('oidc:xavier');
    expect((await audit()).at(-1)).toMatch(
      /^oidc@127\.0\.0\.1 auth\.login-failed .*none of xavier's groups/,
    );

    person = { sub: 'u-olga', preferred_username: 'olga', groups: ['staff'] };
    await setDisabled(h.core.store.db, 'oidc:olga', true, { actor: 'cli:test', at: new Date() });
    const disabled = await signIn();
    expect(disabled.status).toBe(403);
    expect(await sessionOf(disabled)).toBeNull();
    await setDisabled(h.core.store.db, 'oidc:olga', false, { actor: 'cli:test', at: new Date() });
  });

  it('refuses an answer for another browser (state cookie) and tokens that do not check out', async () => {
    person = { sub: 'u-olga', preferred_username: 'olga', groups: ['staff'] };
    const foreign = await signIn({ stateCookie: () => 'infrascope_oidc_state=someone-elses' });
    expect(foreign.status).toBe(401);
    expect(await sessionOf(foreign)).toBeNull();
    const none = await signIn({ stateCookie: () => '' });
    expect(none.status).toBe(401);

    const cases: [typeof tamper, string][] = [
      [{ key: otherKeys.privateKey }, 'signature does not verify'],
      [{ aud: 'another-client' }, 'for another client'],
      [{ exp: Math.floor(Date.now() / 1000) - 3600 }, 'expired'],
      [{ alg: 'none' }, 'algorithm none is not accepted'],
      [{ alg: 'HS256' }, 'algorithm HS256 is not accepted'],
      [{ nonce: 'replayed' }, 'not for this sign-in'],
    ];
    for (const [t, why] of cases) {
      tamper = t;
      const r = await signIn();
      expect(r.status, why).toBe(401);
      expect(r.body).toContain(why);
      expect(await sessionOf(r)).toBeNull();
    }
    tamper = {};
    expect((await signIn()).status).toBe(302);
  });

  it('answers 404 where no provider is configured', async () => {
    const plain = await serveSmallUi(h.core, undefined, {
      tls: { cert: cert.cert, key: cert.key },
    });
    try {
      const r = await get(`https://127.0.0.1:${plain.port}/auth/oidc/start`);
      expect(r.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
