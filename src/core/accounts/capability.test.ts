import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';
import type { Channel, Reply, RequestInput } from '../../shared/contract.js';
import { CHANNEL_ROLES } from '../../shared/roles.js';
import type { RequestContext } from '../contract/handlers.js';
import { addAccount, checkLogin } from './accounts.js';
import { openSession, sessionAccount, tokenAccount } from './sessions.js';

/*
 * The Users page's channels through the core's one dispatcher, as serve calls it: the role each
 * one needs (admin), the typed refusals that change nothing, the audit rows that name the person
 * and address, and the answer a local store gives (no accounts there).
 */

let h: CoreHarness;
const ADMIN: RequestContext = { actor: 'ada@10.0.0.5', host: 'serve', role: 'admin' };
const OPERATOR: RequestContext = { actor: 'otto@10.0.0.6', host: 'serve', role: 'operator' };
const VIEWER: RequestContext = { actor: 'vic@10.0.0.7', host: 'serve', role: 'viewer' };
const LOCAL: RequestContext = { actor: 'serve:me', host: 'serve' };

function ask<C extends Channel>(
  channel: C,
  input: RequestInput<C>,
  ctx: RequestContext = ADMIN,
): Promise<Reply<Channel>> {
  return h.core.request(channel, input, ctx);
}

async function result<C extends Channel>(
  channel: C,
  input: RequestInput<C>,
  ctx: RequestContext = ADMIN,
): Promise<unknown> {
  const reply = await ask(channel, input, ctx);
  if (!reply.ok) throw new Error(`${channel}: ${reply.error.code} ${reply.error.message}`);
  return reply.result;
}

function codeOf<C extends Channel>(
  channel: C,
  input: RequestInput<C>,
  ctx: RequestContext = ADMIN,
): Promise<string> {
  return ask(channel, input, ctx).then((r) => (r.ok ? 'ok' : r.error.code));
}

async function accountRows(): Promise<string[]> {
  const rows = await h.core.store.db
    .selectFrom('account')
    .select(['name', 'role', 'disabled', 'password_hash'])
    .orderBy('name')
    .execute();
  return rows.map((r) => `${r.name}:${r.role}:${r.disabled}:${r.password_hash.slice(0, 40)}`);
}

async function auditRows(): Promise<
  { actor: string; action: string; target: string | null; details: string }[]
> {
  return h.core.store.db
    .selectFrom('audit_log')
    .select(['actor', 'action', 'target', 'details'])
    .orderBy('id')
    .execute();
}

/** One valid input per account channel, for the role checks. */
const SAMPLES: { [C in Channel]?: RequestInput<C> } = {
  'users:list': {},
  'users:add': { name: 'eve', role: 'admin', password: 'eve password' },
  'users:setRole': { name: 'vic', role: 'admin' },
  'users:setDisabled': { name: 'ada', disabled: true },
  'users:unlock': { name: 'vic' },
  'users:setPassword': { name: 'ada', password: 'taken over!!' },
  'users:logoutAll': { name: 'ada' },
  'tokens:list': {},
  'tokens:create': { name: 'sneaky', role: 'admin', expiresIn: '1d' },
  'tokens:revoke': { name: 'sneaky' },
};

describe('account channels', () => {
  it('are declared admin-only in CHANNEL_ROLES', () => {
    const declared = Object.entries(CHANNEL_ROLES).filter(
      ([c]) => c.startsWith('users:') || c.startsWith('tokens:'),
    );
    expect(declared.map(([c]) => c).sort()).toEqual(Object.keys(SAMPLES).sort());
    expect(new Set(declared.map(([, r]) => r))).toEqual(new Set(['admin']));
  });
});

afterAll(stopSharedPostgres);

// One team server per engine; the tests below build on each other's accounts and audit rows.
describe.each(ENGINES)('on a %s store', (engine) => {
  beforeAll(async () => {
    h = await makeCore({ host: 'serve', store: await testStoreLocation(engine) });
    const by = { actor: 'cli:root', at: new Date() };
    await addAccount(h.core.store.db, { name: 'ada', role: 'admin', password: 'ada password' }, by);
    await addAccount(
      h.core.store.db,
      { name: 'vic', role: 'viewer', password: 'vic password' },
      by,
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('account channels and roles', () => {
    it('refuse a viewer and an operator with FORBIDDEN, change nothing, and audit the refusal', async () => {
      const before = await accountRows();
      for (const ctx of [VIEWER, OPERATOR]) {
        for (const [channel, input] of Object.entries(SAMPLES)) {
          expect(await codeOf(channel as Channel, input as never, ctx), channel).toBe('FORBIDDEN');
        }
      }
      expect(await accountRows()).toEqual(before);
      expect(await h.core.store.db.selectFrom('api_token').selectAll().execute()).toEqual([]);
      const refusedAdd = (await auditRows()).filter(
        (r) => r.actor === 'otto@10.0.0.6' && r.action === 'users:add',
      );
      expect(refusedAdd).toHaveLength(1);
      expect(JSON.parse(refusedAdd[0]!.details)).toEqual({
        outcome: 'FORBIDDEN',
        input: { name: 'eve', role: 'admin' },
      });
    });

    it('answer TEAM_SERVER_ONLY on a local store, where nobody signs in', async () => {
      for (const [channel, input] of Object.entries(SAMPLES)) {
        expect(await codeOf(channel as Channel, input as never, LOCAL), channel).toBe(
          'TEAM_SERVER_ONLY',
        );
      }
      expect(await codeOf('users:list', {}, { actor: 'desktop', host: 'desktop' })).toBe(
        'TEAM_SERVER_ONLY',
      );
    });
  });

  describe('an admin managing accounts', () => {
    it('adds an account that can sign in with its role; the audit names the admin and address', async () => {
      const added = await result('users:add', {
        name: 'olga',
        role: 'operator',
        password: 'olga password',
      });
      expect(added).toMatchObject({
        name: 'olga',
        role: 'operator',
        disabled: false,
        lastLoginAt: null,
      });
      const login = await checkLogin(h.core.store.db, 'olga', 'olga password', new Date());
      expect(login).toMatchObject({ ok: true, account: { name: 'olga', role: 'operator' } });
      const rows = (await auditRows()).filter(
        (r) => r.target === 'olga' || r.action === 'users:add',
      );
      const change = rows.find((r) => r.action === 'account.add');
      expect(change).toMatchObject({ actor: 'ada@10.0.0.5', target: 'olga' });
      expect(JSON.parse(change!.details)).toEqual({ role: 'operator' });
      const request = rows.find((r) => r.action === 'users:add' && r.actor === 'ada@10.0.0.5');
      expect(JSON.parse(request!.details)).toEqual({
        outcome: 'done',
        input: { name: 'olga', role: 'operator' },
      });
      expect(JSON.stringify(await auditRows())).not.toContain('olga password');
    });

    it('refuses bad input with typed errors and changes nothing', async () => {
      const before = await accountRows();
      const auditBefore = (await auditRows()).filter((r) => r.action.startsWith('account.')).length;
      expect(
        await codeOf('users:add', { name: 'olga', role: 'viewer', password: 'long enough' }),
      ).toBe('CONFLICT');
      expect(await codeOf('users:add', { name: 'pat', role: 'viewer', password: 'short' })).toBe(
        'VALIDATION',
      );
      expect(await codeOf('users:add', { name: 'pat', role: 'viewer', password: '' })).toBe(
        'VALIDATION',
      );
      expect(
        await codeOf('users:add', { name: 'pat', role: 'root', password: 'long enough' }),
      ).toBe('VALIDATION');
      expect(
        await codeOf('users:add', { name: 'bad name', role: 'viewer', password: 'long enough' }),
      ).toBe('VALIDATION');
      expect(await codeOf('users:setRole', { name: 'nobody', role: 'viewer' })).toBe('NOT_FOUND');
      expect(await codeOf('users:setPassword', { name: 'nobody', password: 'long enough' })).toBe(
        'NOT_FOUND',
      );
      expect(await codeOf('users:setPassword', { name: 'vic', password: 'weak' })).toBe(
        'VALIDATION',
      );
      expect(await codeOf('users:unlock', { name: 'nobody' })).toBe('NOT_FOUND');
      expect(await codeOf('users:logoutAll', { name: 'nobody' })).toBe('NOT_FOUND');
      expect(await codeOf('users:setDisabled', { name: 'nobody', disabled: true })).toBe(
        'NOT_FOUND',
      );
      // ada is the only admin: she can neither be demoted nor disabled.
      const demote = await ask('users:setRole', { name: 'ada', role: 'operator' });
      expect(demote).toMatchObject({
        ok: false,
        error: { code: 'CONFLICT', details: { reason: 'last-admin' } },
      });
      expect(await codeOf('users:setDisabled', { name: 'ada', disabled: true })).toBe('CONFLICT');
      expect(await accountRows()).toEqual(before);
      expect((await auditRows()).filter((r) => r.action.startsWith('account.')).length).toBe(
        auditBefore,
      );
    });

    it('changes a role, which an open session takes at once, and lets the last admin go once there is another', async () => {
      const db = h.core.store.db;
      const vic = (
        await db
          .selectFrom('account')
          .select('id')
          .where('name', '=', 'vic')
          .executeTakeFirstOrThrow()
      ).id;
      const session = await openSession(db, Number(vic), '10.0.0.7', new Date());
      expect(await result('users:setRole', { name: 'vic', role: 'admin' })).toMatchObject({
        role: 'admin',
      });
      expect(await sessionAccount(db, session, new Date())).toMatchObject({
        name: 'vic',
        role: 'admin',
      });
      const change = (await auditRows()).find((r) => r.action === 'account.role');
      expect(change).toMatchObject({ actor: 'ada@10.0.0.5', target: 'vic' });
      expect(JSON.parse(change!.details)).toEqual({ from: 'viewer', to: 'admin' });
      // Two admins now: either may step down, but not both.
      expect(await result('users:setRole', { name: 'ada', role: 'operator' })).toMatchObject({
        role: 'operator',
      });
      expect(await codeOf('users:setDisabled', { name: 'vic', disabled: true })).toBe('CONFLICT');
      expect(await result('users:setRole', { name: 'ada', role: 'admin' })).toMatchObject({
        role: 'admin',
      });
    });

    it('disables (ending sessions) and enables, unlocks, resets a password and logs out everywhere', async () => {
      const db = h.core.store.db;
      const olga = Number(
        (
          await db
            .selectFrom('account')
            .select('id')
            .where('name', '=', 'olga')
            .executeTakeFirstOrThrow()
        ).id,
      );
      const session = await openSession(db, olga, '10.0.0.8', new Date());
      expect(await result('users:setDisabled', { name: 'olga', disabled: true })).toMatchObject({
        disabled: true,
      });
      expect(await sessionAccount(db, session, new Date())).toBeNull();
      expect((await checkLogin(db, 'olga', 'olga password', new Date())).ok).toBe(false);
      expect(await result('users:setDisabled', { name: 'olga', disabled: false })).toMatchObject({
        disabled: false,
      });
      for (let i = 0; i < 5; i++) await checkLogin(db, 'olga', 'wrong password', new Date());
      const locked = (await result('users:list', {})) as {
        name: string;
        lockedUntil: string | null;
      }[];
      expect(Date.parse(locked.find((a) => a.name === 'olga')!.lockedUntil!)).toBeGreaterThan(
        Date.now(),
      );
      expect(await result('users:unlock', { name: 'olga' })).toMatchObject({ lockedUntil: null });
      const again = await openSession(db, olga, '10.0.0.8', new Date(Date.now() + 1000));
      await result('users:setPassword', { name: 'olga', password: 'a new olga pass' });
      expect(await sessionAccount(db, again, new Date(Date.now() + 2000))).toBeNull();
      expect((await checkLogin(db, 'olga', 'a new olga pass', new Date())).ok).toBe(true);
      const third = await openSession(db, olga, '10.0.0.8', new Date(Date.now() + 3000));
      await result('users:logoutAll', { name: 'olga' }, { ...ADMIN });
      expect(await sessionAccount(db, third, new Date(Date.now() + 2000))).toBeNull();
      const actions = (await auditRows())
        .filter((r) => r.target === 'olga' && r.action.startsWith('account.'))
        .map((r) => `${r.actor} ${r.action}`);
      expect(actions).toEqual([
        'ada@10.0.0.5 account.add',
        'ada@10.0.0.5 account.disable',
        'ada@10.0.0.5 account.enable',
        'ada@10.0.0.5 account.unlock',
        'ada@10.0.0.5 account.passwd',
        'ada@10.0.0.5 account.logout-all',
      ]);
    });

    it("lists each account's last sign-in from the audit log", async () => {
      await h.core.store.db
        .insertInto('audit_log')
        .values([
          {
            at: '2026-12-01T08:00:00.000Z',
            actor: 'vic@10.0.0.7',
            action: 'auth.login',
            target: 'vic',
            details: '{}',
          },
          {
            at: '2026-12-02T09:00:00.000Z',
            actor: 'vic@10.0.0.7',
            action: 'auth.login',
            target: 'vic',
            details: '{}',
          },
          {
            at: '2026-12-03T09:00:00.000Z',
            actor: 'vic@10.0.0.7',
            action: 'auth.login-failed',
            target: 'vic',
            details: '{}',
          },
        ])
        .execute();
      const list = (await result('users:list', {})) as {
        name: string;
        lastLoginAt: string | null;
      }[];
      expect(list.find((a) => a.name === 'vic')?.lastLoginAt).toBe('2026-12-02T09:00:00.000Z');
      expect(list.find((a) => a.name === 'olga')?.lastLoginAt).toBeNull();
    });
  });

  describe('an admin managing API tokens', () => {
    it('creates one whose secret is in the reply only, stored as its SHA-256, and revokes it', async () => {
      const made = (await result('tokens:create', {
        name: 'ci',
        role: 'viewer',
        expiresIn: '2d',
      })) as {
        secret: string;
        role: string;
        expiresAt: string;
      };
      expect(made.secret).toMatch(/^isk_/);
      expect(made.role).toBe('viewer');
      const row = await h.core.store.db
        .selectFrom('api_token')
        .selectAll()
        .where('name', '=', 'ci')
        .executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(createHash('sha256').update(made.secret).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(made.secret);
      expect(await tokenAccount(h.core.store.db, made.secret, new Date())).toEqual({
        name: 'token:ci',
        role: 'viewer',
      });
      const listed = await result('tokens:list', {});
      expect(JSON.stringify(listed)).not.toContain(made.secret);
      expect(listed).toEqual([
        {
          name: 'ci',
          role: 'viewer',
          createdAt: row.created_at,
          expiresAt: made.expiresAt,
          revoked: false,
        },
      ]);
      const audit = await auditRows();
      expect(JSON.stringify(audit)).not.toContain(made.secret);
      expect(audit.find((r) => r.action === 'token.create')).toMatchObject({
        actor: 'ada@10.0.0.5',
        target: 'ci',
      });

      expect(await codeOf('tokens:create', { name: 'ci', role: 'viewer' })).toBe('CONFLICT');
      expect(await codeOf('tokens:create', { name: 'x', role: 'root' })).toBe('VALIDATION');
      expect(await codeOf('tokens:create', { name: 'x', role: 'viewer', expiresIn: '5y' })).toBe(
        'VALIDATION',
      );
      expect(await result('tokens:revoke', { name: 'ci' })).toMatchObject({
        name: 'ci',
        revoked: true,
      });
      expect(await tokenAccount(h.core.store.db, made.secret, new Date())).toBeNull();
      expect(await codeOf('tokens:revoke', { name: 'ci' })).toBe('NOT_FOUND');
      expect((await auditRows()).find((r) => r.action === 'token.revoke')).toMatchObject({
        actor: 'ada@10.0.0.5',
        target: 'ci',
      });
    });
  });
});
