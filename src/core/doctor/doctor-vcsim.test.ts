import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVcsim } from '../../../tests/vcsim/launch.js';
import type { Vcsim } from '../../../tests/vcsim/launch.js';
import type { DoctorTarget } from './doctor.js';
import { runConnectivityTest } from './doctor.js';

/* The built-in SOAP probe against vcsim (the vSphere API simulator), as vCenter and as ESXi. */

let vc: Vcsim;
let esx: Vcsim;
beforeAll(async () => {
  [vc, esx] = await Promise.all([startVcsim(), startVcsim({ esx: true })]);
}, 120_000);
afterAll(async () => {
  await Promise.all([vc?.stop(), esx?.stop()]);
});

const target = (sim: Vcsim, over: Partial<DoctorTarget> = {}): DoctorTarget => ({
  name: 'sim',
  kind: 'vcenter',
  host: sim.host,
  port: sim.port,
  username: sim.username,
  password: sim.password,
  thumbprint: sim.thumbprint,
  trustOnFirstUse: false,
  useSsl: false,
  ...over,
});

describe('runConnectivityTest against vcsim', () => {
  it('passes every step on vCenter and on ESXi', async () => {
    const a = await runConnectivityTest(target(vc), { now: () => new Date() });
    expect(a.steps.filter((s) => s.status === 'failed')).toEqual([]);
    expect(a.steps.find((s) => s.id === 'api')?.facts).toMatchObject({ apiType: 'VirtualCenter' });
    expect(a.steps.find((s) => s.id === 'permission')?.status).toBe('ok');
    const b = await runConnectivityTest(target(esx, { kind: 'esxi' }), { now: () => new Date() });
    expect(b.steps.filter((s) => s.status === 'failed')).toEqual([]);
    expect(b.steps.find((s) => s.id === 'api')?.facts).toMatchObject({ apiType: 'HostAgent' });
  });

  it('tells a wrong password and a wrong kind apart', async () => {
    const bad = await runConnectivityTest(target(vc, { password: 'not-the-password' }), {
      now: () => new Date(),
    });
    expect(bad.steps.find((s) => s.status === 'failed')?.error?.code).toBe('INVALID_LOGIN');
    const kind = await runConnectivityTest(target(esx), { now: () => new Date() });
    expect(kind.steps.find((s) => s.status === 'failed')?.error?.code).toBe('WRONG_ENDPOINT_KIND');
  });
});
