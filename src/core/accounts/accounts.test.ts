import { scryptSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';
import { AppError } from '../../shared/errors.js';
import {
  LOCK_AFTER_FAILURES,
  LOCK_MS,
  addAccount,
  checkLogin,
  listAccounts,
  logoutEverywhere,
  setDisabled,
  setPassword,
  unlockAccount,
} from './accounts.js';
import { hashPassword, verifyPassword } from './password.js';
import {
  createToken,
  digest,
  openSession,
  parseDuration,
  revokeToken,
  sessionAccount,
  tokenAccount,
} from './sessions.js';

let h: CoreHarness;
const t0 = new Date('2026-12-04T10:00:00Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);
const by = { actor: 'cli:test', at: t0 };

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

describe('password hashes', () => {
  it('are scrypt with a fresh salt, and verify against scrypt computed independently', async () => {
    const a = await hashPassword('s3cret-passphrase');
    const b = await hashPassword('s3cret-passphrase');
    expect(a).not.toBe(b);
    const [kind, n, r, p, salt, key] = a.split('$');
    expect(kind).toBe('scrypt');
    const expected = scryptSync('s3cret-passphrase', Buffer.from(salt!, 'base64'), 32, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: 256 * 2 ** 20,
    });
    expect(Buffer.from(key!, 'base64').equals(expected)).toBe(true);
    expect(await verifyPassword('s3cret-passphrase', a)).toBe(true);
    expect(await verifyPassword('s3cret-passphrasE', a)).toBe(false);
    expect(await verifyPassword('s3cret-passphrase', 'scrypt$1$1$1$x$y')).toBe(false);
    expect(await verifyPassword('anything', 'garbage')).toBe(false);
  });
});

describe('API token lifetimes', () => {
  it('take durations in minutes, hours and days, and refuse anything else', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    for (const bad of ['30', '0d', '1y', '-1d', '400d', '']) {
      expect(() => parseDuration(bad), bad).toThrow(AppError);
    }
  });
});

afterAll(stopSharedPostgres);

// One store per engine; the tests below build on each other's accounts (the last reads the
// audit log of them all).
describe.each(ENGINES)('on a %s store', (engine) => {
  beforeAll(async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
    await addAccount(
      h.core.store.db,
      { name: 'alice', role: 'viewer', password: 'correct horse' },
      by,
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('password hashes in the store', () => {
    it('are what the account table keeps, never the password', async () => {
      const row = await h.core.store.db
        .selectFrom('account')
        .selectAll()
        .where('name', '=', 'alice')
        .executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^scrypt\$/);
      expect(JSON.stringify(row)).not.toContain('correct horse');
    });
  });

  describe('accounts', () => {
    it('refuse a bad role, a short password and a taken name with typed errors, adding nothing', async () => {
      const db = h.core.store.db;
      expect(
        (
          await rejection(
            addAccount(db, { name: 'x', role: 'root', password: 'long enough pw' }, by),
          )
        ).code,
      ).toBe('VALIDATION');
      expect(
        (await rejection(addAccount(db, { name: 'x', role: 'viewer', password: 'short' }, by)))
          .code,
      ).toBe('VALIDATION');
      expect(
        (
          await rejection(
            addAccount(db, { name: 'alice', role: 'admin', password: 'long enough pw' }, by),
          )
        ).code,
      ).toBe('CONFLICT');
      expect((await listAccounts(db)).map((a) => `${a.name}:${a.role}`)).toEqual(['alice:viewer']);
    });

    it('answer an unknown name and a wrong password alike', async () => {
      const db = h.core.store.db;
      expect(await checkLogin(db, 'nobody', 'correct horse', t0)).toEqual({
        ok: false,
        code: 'AUTH_FAILED',
      });
      expect(await checkLogin(db, 'alice', 'wrong horse!', t0)).toEqual({
        ok: false,
        code: 'AUTH_FAILED',
      });
      const ok = await checkLogin(db, 'alice', 'correct horse', t0);
      expect(ok).toMatchObject({ ok: true, account: { name: 'alice', role: 'viewer' } });
    });
  });

  describe('the lockout', () => {
    it(`locks after ${LOCK_AFTER_FAILURES} failures, refuses the right password until it ends or an admin lifts it`, async () => {
      const db = h.core.store.db;
      await addAccount(db, { name: 'bob', role: 'operator', password: 'bob password 1' }, by);
      for (let i = 0; i < LOCK_AFTER_FAILURES; i++) {
        expect((await checkLogin(db, 'bob', `wrong ${i} pass`, at(i))).ok).toBe(false);
      }
      expect(await checkLogin(db, 'bob', 'bob password 1', at(10))).toEqual({
        ok: false,
        code: 'AUTH_LOCKED',
      });
      expect(await checkLogin(db, 'bob', 'bob password 1', at(LOCK_MS - 1))).toEqual({
        ok: false,
        code: 'AUTH_LOCKED',
      });
      // The lock ends on its own.
      expect((await checkLogin(db, 'bob', 'bob password 1', at(LOCK_MS + 10))).ok).toBe(true);
      for (let i = 0; i < LOCK_AFTER_FAILURES; i++)
        await checkLogin(db, 'bob', 'nope nope nope', at(LOCK_MS + 20));
      expect((await checkLogin(db, 'bob', 'bob password 1', at(LOCK_MS + 30))).ok).toBe(false);
      await unlockAccount(db, 'bob', by);
      expect((await checkLogin(db, 'bob', 'bob password 1', at(LOCK_MS + 40))).ok).toBe(true);
    });

    it('locks an unknown name the same way, so the 423 tells nothing about which names exist', async () => {
      const phantoms = new Map<string, { failed: number; lockedUntil: number }>();
      const db = h.core.store.db;
      const codes: string[] = [];
      for (let i = 0; i <= LOCK_AFTER_FAILURES; i++) {
        const r = await checkLogin(db, 'mallory', 'whatever pass', t0, phantoms);
        codes.push(r.ok ? 'ok' : r.code);
      }
      expect(codes).toEqual([
        ...Array<string>(LOCK_AFTER_FAILURES).fill('AUTH_FAILED'),
        'AUTH_LOCKED',
      ]);
    });

    it('refuses a disabled account as if the password were wrong', async () => {
      const db = h.core.store.db;
      await addAccount(db, { name: 'carol', role: 'operator', password: 'carol password' }, by);
      await setDisabled(db, 'carol', true, by);
      expect(await checkLogin(db, 'carol', 'carol password', t0)).toEqual({
        ok: false,
        code: 'AUTH_FAILED',
      });
    });
  });

  describe('sessions', () => {
    const timeouts = { idleMs: 30 * 60_000, absoluteMs: 8 * 3_600_000 };

    it('keep only the hash of the cookie and end when idle, too old, or logged out everywhere', async () => {
      const db = h.core.store.db;
      const id = await aliceId();
      const secret = await openSession(db, id, '10.0.0.5', t0);
      const rows = await db.selectFrom('account_session').selectAll().execute();
      expect(rows.map((r) => r.id_hash)).toContain(digest(secret));
      expect(JSON.stringify(rows)).not.toContain(secret);
      expect(await sessionAccount(db, secret, at(60_000), timeouts)).toMatchObject({
        name: 'alice',
      });
      // Used every 20 minutes, it lives until the absolute limit.
      for (let m = 20; m < 8 * 60; m += 20) {
        expect(
          await sessionAccount(db, secret, at(m * 60_000), timeouts),
          `minute ${m}`,
        ).not.toBeNull();
      }
      expect(await sessionAccount(db, secret, at(8 * 3_600_000 + 1), timeouts)).toBeNull();

      const idle = await openSession(db, id, '10.0.0.5', t0);
      expect(await sessionAccount(db, idle, at(31 * 60_000), timeouts)).toBeNull();

      const a = await openSession(db, id, '10.0.0.5', t0);
      const b = await openSession(db, id, '10.0.0.6', t0);
      await logoutEverywhere(db, 'alice', { actor: 'cli:test', at: at(1000) });
      expect(await sessionAccount(db, a, at(2000), timeouts)).toBeNull();
      expect(await sessionAccount(db, b, at(2000), timeouts)).toBeNull();
      const after = await openSession(db, id, '10.0.0.5', at(3000));
      expect(await sessionAccount(db, after, at(4000), timeouts)).toMatchObject({ name: 'alice' });
      await setPassword(db, 'alice', 'correct horse', { actor: 'cli:test', at: at(5000) });
      expect(await sessionAccount(db, after, at(6000), timeouts)).toBeNull();
    });
  });

  async function aliceId(): Promise<number> {
    const row = await h.core.store.db
      .selectFrom('account')
      .select('id')
      .where('name', '=', 'alice')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  describe('API tokens', () => {
    it('are shown once, kept hashed, scoped to a role, and refused once expired or revoked', async () => {
      const db = h.core.store.db;
      const made = await createToken(db, { name: 'ci', role: 'viewer', expiresIn: '30d' }, by);
      expect(made.expiresAt).toBe(at(30 * 86_400_000).toISOString());
      const rows = await db.selectFrom('api_token').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(made.secret);
      expect(rows[0]?.token_hash).toBe(digest(made.secret));
      expect(await tokenAccount(db, made.secret, at(30 * 86_400_000 - 1))).toEqual({
        name: 'token:ci',
        role: 'viewer',
      });
      expect(await tokenAccount(db, made.secret, at(30 * 86_400_000))).toBeNull();
      expect(await tokenAccount(db, made.secret.slice(0, -1) + 'x', t0)).toBeNull();
      await revokeToken(db, 'ci', by);
      expect(await tokenAccount(db, made.secret, t0)).toBeNull();
      expect((await rejection(revokeToken(db, 'ci', by))).code).toBe('NOT_FOUND');
    });

    it('every change above is in the audit log with who did it', async () => {
      const rows = await h.core.store.db
        .selectFrom('audit_log')
        .select(['actor', 'action', 'target'])
        .execute();
      const actions = rows.map((r) => `${r.actor} ${r.action} ${r.target}`);
      for (const a of [
        'account.add alice',
        'account.unlock bob',
        'account.disable carol',
        'account.logout-all alice',
        'account.passwd alice',
        'token.create ci',
        'token.revoke ci',
      ]) {
        expect(actions).toContain(`cli:test ${a}`);
      }
    });
  });
});
