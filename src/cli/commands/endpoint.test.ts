import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { cliContext } from '../../../tests/doubles/cli-context.js';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import type { FakeVsphere } from '../../../tests/doubles/fake-vsphere.js';
import { startFakeVsphere } from '../../../tests/doubles/fake-vsphere.js';
import { makeSelfSigned } from '../../../tests/doubles/self-signed.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';
import { cliActor, parseHostPort, run } from './endpoint.js';

let h: CoreHarness | undefined;
afterAll(stopSharedPostgres);
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

describe('infrascope endpoint', () => {
  it('parses HOST[:PORT]', () => {
    expect(parseHostPort('vc01')).toEqual({ host: 'vc01' });
    expect(parseHostPort('vc01:8443')).toEqual({ host: 'vc01', port: 8443 });
    expect(parseHostPort('[fe80::1]:443')).toEqual({ host: 'fe80::1', port: 443 });
    expect(parseHostPort('fe80::1')).toEqual({ host: 'fe80::1' });
  });
});

describe.each(ENGINES)('infrascope endpoint on a %s store', (engine) => {
  it('adds (password from env or stdin), lists, sets and removes with --yes; audit names the CLI user', async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
    const a = cliContext(h.core, { env: { VC_PW: 'env-secret-1' } });
    expect(
      await run(a.ctx, [
        'add',
        'vc01',
        '--type',
        'vcenter',
        '--host',
        'vc01.corp:8443',
        '--username',
        'admin',
        '--password-env',
        'VC_PW',
        '--tag',
        'prod',
        '--tag',
        'dc1',
        '--interval',
        '300',
        '--trust-on-first-use',
      ]),
    ).toBe(0);
    expect(a.out()).toContain('Added vc01 (vcenter vc01.corp:8443, credential set)');
    const b = cliContext(h.core, { stdin: 'stdin-secret-2\n' });
    expect(
      await run(b.ctx, [
        'add',
        'esx1',
        '--type',
        'esxi',
        '--host',
        'esx1',
        '-u',
        'root',
        '--password-stdin',
        '--json',
      ]),
    ).toBe(0);
    expect(JSON.parse(b.out())).toMatchObject({ name: 'esx1', port: 443, credential: 'set' });

    const l = cliContext(h.core);
    expect(await run(l.ctx, ['list'])).toBe(0);
    expect(l.out()).toMatch(/NAME\s+KIND\s+HOST/);
    expect(l.out()).toMatch(/vc01\s+vcenter\s+vc01\.corp:8443\s+admin\s+set\s+300s/);
    const lj = cliContext(h.core);
    await run(lj.ctx, ['list', '--json']);
    const listed = JSON.parse(lj.out()) as { name: string; tags: string[] }[];
    expect(listed.map((e) => e.name)).toEqual(['esx1', 'vc01']);
    expect(lj.out()).not.toMatch(/secret-[12]/);

    const s = cliContext(h.core);
    expect(await run(s.ctx, ['set', 'VC01', '--notes', 'rack 4', '--disable'])).toBe(0);
    const after = await h.call('endpoints:list', {});
    expect(after.find((e) => e.name === 'vc01')).toMatchObject({
      notes: 'rack 4',
      enabled: false,
      tags: ['prod', 'dc1'],
    });

    const r = cliContext(h.core);
    expect(await run(r.ctx, ['remove', 'esx1'])).toBe(2);
    expect(r.err()).toContain('--yes');
    expect(await h.call('endpoints:list', {})).toHaveLength(2);
    expect(await run(r.ctx, ['remove', 'esx1', '--yes'])).toBe(0);
    expect(await h.call('endpoints:list', {})).toHaveLength(1);

    const audit = await h.core.store.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'target'])
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { actor: cliActor({}), action: 'endpoint.add', target: 'vc01' },
      { actor: cliActor({}), action: 'endpoint.add', target: 'esx1' },
      { actor: cliActor({}), action: 'endpoint.update', target: 'vc01' },
      { actor: cliActor({}), action: 'endpoint.remove', target: 'esx1' },
    ]);
    expect(audit[0]?.actor).toMatch(/^cli:/);
  });

  it('refuses bad input with VALIDATION (exit 2 in the host) and unknown names with NOT_FOUND', async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
    const c = cliContext(h.core);
    expect((await rejection(run(c.ctx, ['add', 'x', '--type', 'nas', '--host', 'h']))).code).toBe(
      'VALIDATION',
    );
    expect(
      (await rejection(run(c.ctx, ['add', 'x', '--type', 'esxi', '--host', 'h', '-u', 'root'])))
        .message,
    ).toContain('--password-stdin');
    expect(
      (
        await rejection(
          run(c.ctx, [
            'add',
            'x',
            '--type',
            'esxi',
            '--host',
            'h',
            '-u',
            'r',
            '--password-env',
            'NOPE',
          ]),
        )
      ).message,
    ).toContain('NOPE');
    expect((await rejection(run(c.ctx, ['test', 'ghost']))).code).toBe('NOT_FOUND');
  });

  describe('test', () => {
    const cert = makeSelfSigned('localhost');
    let vc: FakeVsphere;
    beforeAll(async () => {
      vc = await startFakeVsphere({ tls: cert, apiType: 'VirtualCenter', password: 'pw-right' });
    });
    afterAll(async () => vc.close());

    it('prints the checklist (exit 0), or the failure with how to trust the certificate (exit 1)', async () => {
      h = await makeCore({ store: await testStoreLocation(engine) });
      const env = { PW: 'pw-right' };
      const add = cliContext(h.core, { env });
      await run(add.ctx, [
        'add',
        'good',
        '--type',
        'vcenter',
        '--host',
        `127.0.0.1:${vc.port}`,
        '-u',
        'admin',
        '--password-env',
        'PW',
        '--thumbprint',
        cert.fingerprint256,
      ]);
      await run(add.ctx, [
        'add',
        'unknown',
        '--type',
        'vcenter',
        '--host',
        `127.0.0.1:${vc.port}`,
        '-u',
        'admin',
        '--password-env',
        'PW',
      ]);
      const ok = cliContext(h.core);
      expect(await run(ok.ctx, ['test', 'good'])).toBe(0);
      expect(ok.out()).toMatch(/✓ DNS resolution/);
      expect(ok.out()).toMatch(/✓ Login .*Logged in as admin/);
      expect(ok.out()).toContain('Result: OK');
      const bad = cliContext(h.core);
      expect(await run(bad.ctx, ['test', 'unknown', '--json'])).toBe(1);
      const report = JSON.parse(bad.out()) as {
        ok: boolean;
        steps: { id: string; status: string; error?: { code: string; message: string } }[];
      };
      expect(report.ok).toBe(false);
      const tls = report.steps.find((s) => s.id === 'tls');
      expect(tls?.error?.code).toBe('TLS_UNTRUSTED');
      expect(tls?.error?.message).toContain(`--thumbprint ${cert.fingerprint256}`);
    });
  });
});
