import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { createCollectorDouble } from '../../../tests/doubles/collector-double.js';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import type { FakeVsphere } from '../../../tests/doubles/fake-vsphere.js';
import { startFakeVsphere } from '../../../tests/doubles/fake-vsphere.js';
import { makeSelfSigned } from '../../../tests/doubles/self-signed.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';

afterAll(stopSharedPostgres);

let h: CoreHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function rejection(p: Promise<unknown>): Promise<AppError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => {
      if (e instanceof AppError) return e;
      throw e;
    },
  );
}

const audit = async (
  c: CoreHarness,
): Promise<
  { actor: string; action: string; target: string | null; details: Record<string, unknown> }[]
> =>
  (await c.core.store.db.selectFrom('audit_log').selectAll().orderBy('id').execute()).map((r) => ({
    actor: r.actor,
    action: r.action,
    target: r.target,
    details: JSON.parse(r.details) as Record<string, unknown>,
  }));

describe.each(ENGINES)('on a %s store', (engine) => {
  describe('endpoints', () => {
    it('adds with defaults, exposes only whether a credential is set, and audits without the secret', async () => {
      h = await makeCore({ store: await testStoreLocation(engine) });
      const dto = await h.call('endpoints:add', {
        name: 'vc01',
        kind: 'vcenter',
        host: 'vc01.corp',
        username: 'admin@vsphere.local',
        password: 'Hunter2-secret',
        tags: ['prod', 'prod', 'dc1'],
      });
      expect(dto).toMatchObject({
        name: 'vc01',
        port: 443,
        pollIntervalSeconds: 900,
        enabled: true,
        credential: 'set',
        tags: ['prod', 'dc1'],
      });
      expect(JSON.stringify(dto)).not.toContain('Hunter2');
      const hv = await h.call('endpoints:add', { name: 'hv', kind: 'hyperv', host: 'hv01' });
      expect(hv).toMatchObject({ port: 5985, credential: 'none' });
      const hvs = await h.call('endpoints:add', {
        name: 'hvs',
        kind: 'hyperv',
        host: 'hv02',
        useSsl: true,
      });
      expect(hvs.port).toBe(5986);
      const rows = await audit(h);
      expect(rows[0]).toMatchObject({
        actor: 'test:alice',
        action: 'endpoint.add',
        target: 'vc01',
        details: { kind: 'vcenter', credential: 'set' },
      });
      const stored = await h.core.store.db.selectFrom('audit_log').select('details').execute();
      expect(JSON.stringify(stored)).not.toContain('Hunter2');
      expect(h.events.some((e) => e.name === 'endpoints:changed')).toBe(true);
    });

    it('rejects duplicate names (any case), bad input and missing user names', async () => {
      h = await makeCore({ store: await testStoreLocation(engine) });
      await h.call('endpoints:add', { name: 'vc01', kind: 'vcenter', host: 'a', username: 'u' });
      expect(
        (
          await rejection(
            h.call('endpoints:add', { name: 'VC01', kind: 'esxi', host: 'b', username: 'u' }),
          )
        ).code,
      ).toBe('CONFLICT');
      expect(
        (await rejection(h.call('endpoints:add', { name: 'x', kind: 'esxi', host: 'b' }))).code,
      ).toBe('VALIDATION');
      expect(
        (
          await rejection(
            h.call('endpoints:add', { name: 'bad/name', kind: 'esxi', host: 'b', username: 'u' }),
          )
        ).code,
      ).toBe('VALIDATION');
      const both = await rejection(
        h.call('endpoints:add', {
          name: 'y',
          kind: 'esxi',
          host: 'b',
          username: 'u',
          thumbprint: 'AB'.repeat(32),
          trustOnFirstUse: true,
        }),
      );
      expect(both.code).toBe('VALIDATION');
      expect(await h.call('endpoints:list', {})).toHaveLength(1);
    });

    it('updates only the given fields, audits what changed, and renames with conflict checks', async () => {
      h = await makeCore({ store: await testStoreLocation(engine) });
      const a = await h.call('endpoints:add', {
        name: 'a',
        kind: 'esxi',
        host: 'a',
        username: 'u',
        tags: ['t1'],
        pollIntervalSeconds: 300,
      });
      await h.call('endpoints:add', { name: 'b', kind: 'esxi', host: 'b', username: 'u' });
      const upd = await h.call('endpoints:update', {
        id: a.id,
        notes: 'rack 4',
        password: 'new-secret-pw',
      });
      expect(upd).toMatchObject({
        tags: ['t1'],
        pollIntervalSeconds: 300,
        notes: 'rack 4',
        credential: 'set',
      });
      expect((await rejection(h.call('endpoints:update', { id: a.id, name: 'B' }))).code).toBe(
        'CONFLICT',
      );
      await h.call('endpoints:update', { id: a.id, name: 'a2', enabled: false });
      const rows = await audit(h);
      expect(rows.filter((r) => r.action === 'endpoint.update')).toEqual([
        {
          actor: 'test:alice',
          action: 'endpoint.update',
          target: 'a',
          details: { notes: 'rack 4', credential: 'replaced' },
        },
        {
          actor: 'test:alice',
          action: 'endpoint.update',
          target: 'a2',
          details: { name: { from: 'a', to: 'a2' }, enabled: false },
        },
      ]);
      expect(JSON.stringify(rows)).not.toContain('new-secret-pw');
    });

    it('remove deletes the credential and the inventory, and is audited', async () => {
      const double = createCollectorDouble({ kind: 'ok', vms: 2 });
      h = await makeCore({
        collectors: { vcenter: double.factory },
        store: await testStoreLocation(engine),
      });
      const ep = await h.call('endpoints:add', {
        name: 'vc',
        kind: 'vcenter',
        host: 'h',
        username: 'u',
        password: 'p',
      });
      await h.call('sync:start', { ids: [ep.id] });
      await h.finished([ep.id]);
      const db = h.core.store.db;
      expect(await db.selectFrom('vm').selectAll().execute()).toHaveLength(2);
      expect(await h.call('endpoints:remove', { id: ep.id })).toEqual({ removed: true });
      expect(await db.selectFrom('credential').selectAll().execute()).toHaveLength(0);
      expect(await db.selectFrom('vm').selectAll().execute()).toHaveLength(0);
      expect(await db.selectFrom('sync_run').selectAll().execute()).toHaveLength(0);
      expect(await db.selectFrom('change_log').selectAll().execute()).toHaveLength(0);
      expect((await audit(h)).at(-1)).toMatchObject({ action: 'endpoint.remove', target: 'vc' });
      expect((await rejection(h.call('endpoints:remove', { id: ep.id }))).code).toBe('NOT_FOUND');
    });

    it('pins an accepted fingerprint (audited) and unpins with thumbprint null', async () => {
      h = await makeCore({ store: await testStoreLocation(engine) });
      const ep = await h.call('endpoints:add', {
        name: 'vc',
        kind: 'vcenter',
        host: 'h',
        username: 'u',
      });
      const fp = 'ab'.repeat(32);
      const dto = await h.call('endpoints:trust', { id: ep.id, thumbprint: fp });
      expect(dto.thumbprint).toBe('AB:'.repeat(31) + 'AB');
      expect((await audit(h)).at(-1)).toMatchObject({
        action: 'endpoint.trust',
        target: 'vc',
        details: { via: 'user', fingerprint256: dto.thumbprint },
      });
      expect(
        (await h.call('endpoints:update', { id: ep.id, thumbprint: null })).thumbprint,
      ).toBeNull();
    });
  });

  describe('endpoints:test', () => {
    const cert = makeSelfSigned('localhost');
    let vc: FakeVsphere;
    beforeAll(async () => {
      vc = await startFakeVsphere({ tls: cert, apiType: 'VirtualCenter', password: 'pw-right' });
    });
    afterAll(async () => vc.close());

    it('fails on an unknown certificate, then trust-on-first-use pins it (audited) and a later change is refused', async () => {
      h = await makeCore({ store: await testStoreLocation(engine) });
      const base = {
        kind: 'vcenter' as const,
        host: '127.0.0.1',
        port: vc.port,
        username: 'admin',
        password: 'pw-right',
      };
      const plain = await h.call('endpoints:add', { name: 'plain', ...base });
      const untrusted = await h.call('endpoints:test', { id: plain.id });
      expect(untrusted.ok).toBe(false);
      expect(untrusted.steps.find((s) => s.id === 'tls')?.error).toMatchObject({
        code: 'TLS_UNTRUSTED',
        details: { fingerprint256: cert.fingerprint256 },
      });

      const tofu = await h.call('endpoints:add', { name: 'tofu', ...base, trustOnFirstUse: true });
      const first = await h.call('endpoints:test', { id: tofu.id });
      expect(first.ok).toBe(true);
      const pinned = (await h.call('endpoints:list', {})).find((e) => e.name === 'tofu');
      expect(pinned?.thumbprint).toBe(cert.fingerprint256);
      expect((await audit(h)).at(-1)).toMatchObject({
        actor: 'system:trust-on-first-use',
        action: 'endpoint.trust',
        target: 'tofu',
        details: { via: 'first-use', fingerprint256: cert.fingerprint256 },
      });

      // The server's certificate changes: the pin holds and the test says so.
      await h.call('endpoints:trust', { id: tofu.id, thumbprint: makeSelfSigned().fingerprint256 });
      const later = await h.call('endpoints:test', { id: tofu.id });
      expect(later.steps.find((s) => s.status === 'failed')?.error?.code).toBe('TLS_PIN_MISMATCH');
    });

    it('reports a credential that needs re-entering at the login step', async () => {
      h = await makeCore({ store: await testStoreLocation(engine) });
      const ep = await h.call('endpoints:add', {
        name: 'vc',
        kind: 'vcenter',
        host: '127.0.0.1',
        port: vc.port,
        username: 'admin',
        password: 'pw-right',
        thumbprint: cert.fingerprint256,
      });
      await h.core.store.db
        .updateTable('credential')
        .set({ backend: 'safeStorage:dpapi' })
        .execute();
      const r = await h.call('endpoints:test', { id: ep.id });
      expect(r.steps.find((s) => s.id === 'api')?.status).toBe('ok');
      expect(r.steps.find((s) => s.id === 'login')?.error?.code).toBe('VAULT_UNAVAILABLE');
      expect((await h.call('endpoints:list', {}))[0]?.credential).toBe('reenter');
    });
  });
});
