import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITY_FIELDS } from '../../src/shared/entities.js';
import { AppError } from '../../src/shared/errors.js';
import { createVsphereCollector } from '../../src/core/collectors/vsphere/index.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { login, retrieveServiceContent } from './client-probes.js';
import { targetFor, testContext } from './helpers.js';

let esx: Vcsim;
let vpx: Vcsim;

beforeAll(async () => {
  [esx, vpx] = await Promise.all([startVcsim({ esx: true }), startVcsim({})]);
});

afterAll(async () => {
  await Promise.all([esx?.stop(), vpx?.stop()]);
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return e instanceof AppError ? e.code : `not an AppError: ${String(e)}`;
  }
}

describe('standalone ESXi (vcsim -esx)', () => {
  it('yields the same model: ha-datacenter, no cluster', async () => {
    const c = createVsphereCollector(targetFor(esx));
    try {
      const inv = await c.collectFull(testContext());
      const dcs = inv.entities.filter((e) => e.type === 'datacenter');
      expect(dcs.map((d) => d.id)).toEqual(['ha-datacenter']);
      const hosts = inv.entities.filter((e) => e.type === 'host');
      expect(hosts).toHaveLength(esx.counts['HostSystem'] ?? -1);
      expect(hosts[0]?.fields['clusterId']).toBeNull();
      expect(hosts[0]?.fields['datacenterId']).toBe('ha-datacenter');
      const vms = inv.entities.filter((e) => e.type === 'vm');
      expect(vms).toHaveLength(esx.counts['VirtualMachine'] ?? -1);
      for (const vm of vms) {
        expect(vm.fields['hostId']).toBe(hosts[0]?.id);
        expect(vm.fields['clusterId']).toBeNull();
        expect(vm.fields['datacenterId']).toBe('ha-datacenter');
        expect(vm.fields['folderPath']).toBe('/ha-datacenter/vm');
        expect(vm.fields['tags']).toEqual([]);
        expect(Object.keys(vm.fields).sort()).toEqual(Object.keys(ENTITY_FIELDS.vm).sort());
      }
      expect(inv.entities.filter((e) => e.type === 'cluster')).toHaveLength(0);
      // A second full collection on the same collector (same session) sees the same inventory.
      const again = await c.collectFull(testContext());
      expect(again.entities.map((e) => e.id).sort()).toEqual(inv.entities.map((e) => e.id).sort());
    } finally {
      await c.dispose();
    }
  });

  it('RetrieveServiceContent reads about without login', async () => {
    const r = await retrieveServiceContent({
      host: esx.host,
      port: esx.port,
      thumbprint: esx.thumbprint,
    });
    expect(r.about.apiType).toBe('HostAgent');
    const v = await retrieveServiceContent({
      host: vpx.host,
      port: vpx.port,
      thumbprint: vpx.thumbprint,
    });
    expect(v.about.apiType).toBe('VirtualCenter');
    expect(v.about.version).toMatch(/^\d+\.\d+/);
    expect(v.about.instanceUuid).toBeTruthy();
  });
});

describe('authentication and TLS trust', () => {
  it('logs in with the right password', async () => {
    const r = await login({
      host: vpx.host,
      port: vpx.port,
      thumbprint: vpx.thumbprint,
      username: 'user',
      password: 'pass',
    });
    expect(r.userName).toBe('user');
  });

  it('wrong password → INVALID_LOGIN, and the password never appears in the error', async () => {
    const secret = 'S3cr3t-not-the-password';
    const c = createVsphereCollector(targetFor(vpx, { password: secret }));
    try {
      const err = await c.collectFull(testContext()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('INVALID_LOGIN');
      expect(JSON.stringify((err as AppError).toJSON())).not.toContain(secret);
      expect((err as AppError).message).not.toContain(secret);
    } finally {
      await c.dispose();
    }
  });

  it('a pinned but different thumbprint → TLS_PIN_MISMATCH', async () => {
    const wrong = 'AB:'.repeat(31) + 'AB';
    expect(
      await codeOf(retrieveServiceContent({ host: vpx.host, port: vpx.port, thumbprint: wrong })),
    ).toBe('TLS_PIN_MISMATCH');
    const c = createVsphereCollector(targetFor(vpx, { thumbprint: wrong }));
    try {
      expect(await codeOf(c.collectFull(testContext()))).toBe('TLS_PIN_MISMATCH');
    } finally {
      await c.dispose();
    }
  });

  it('no pin on a self-signed certificate → TLS_UNTRUSTED', async () => {
    expect(
      await codeOf(retrieveServiceContent({ host: vpx.host, port: vpx.port, thumbprint: null })),
    ).toBe('TLS_UNTRUSTED');
  });

  it('a closed port → CONNECTION_REFUSED', async () => {
    const other = await startVcsim({ esx: true });
    const port = other.port;
    await other.stop();
    expect(
      await codeOf(
        retrieveServiceContent({ host: '127.0.0.1', port, thumbprint: null, timeoutMs: 5000 }),
      ),
    ).toBe('CONNECTION_REFUSED');
  });

  it('an already aborted signal → CANCELLED', async () => {
    const ac = new AbortController();
    ac.abort();
    const c = createVsphereCollector(targetFor(vpx));
    try {
      expect(await codeOf(c.collectFull(testContext(ac.signal)))).toBe('CANCELLED');
    } finally {
      await c.dispose();
    }
  });
});
