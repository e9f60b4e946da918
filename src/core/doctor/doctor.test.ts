import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectivityReport } from '../../shared/endpoints.js';
import { startFakeVsphere } from '../../../tests/doubles/fake-vsphere.js';
import type { FakeVsphere } from '../../../tests/doubles/fake-vsphere.js';
import { makeSelfSigned } from '../../../tests/doubles/self-signed.js';
import type { DoctorTarget } from './doctor.js';
import { runConnectivityTest } from './doctor.js';
import { netError } from './net-errors.js';
import { parseLocalPowerShell } from './powershell.js';
import type { TrustDecision } from './trust.js';

const PASSWORD = 'S3cr3t-doctor-pw!';
const cert = makeSelfSigned('localhost');
const now = (): Date => new Date();

function target(over: Partial<DoctorTarget>): DoctorTarget {
  return {
    name: 'vc01',
    kind: 'vcenter',
    host: '127.0.0.1',
    port: 1,
    username: 'admin',
    password: PASSWORD,
    thumbprint: cert.fingerprint256,
    trustOnFirstUse: false,
    useSsl: false,
    ...over,
  };
}

function stepOf(r: ConnectivityReport, id: string): ConnectivityReport['steps'][number] {
  const s = r.steps.find((x) => x.id === id);
  if (!s) throw new Error(`no step ${id}`);
  return s;
}

function failedCode(r: ConnectivityReport): string | undefined {
  return r.steps.find((s) => s.status === 'failed')?.error?.code;
}

let vc: FakeVsphere;
let esxi: FakeVsphere;
let web: FakeVsphere;
let noPerm: FakeVsphere;

beforeAll(async () => {
  vc = await startFakeVsphere({ tls: cert, apiType: 'VirtualCenter', password: PASSWORD });
  esxi = await startFakeVsphere({ tls: cert, apiType: 'HostAgent', password: PASSWORD });
  web = await startFakeVsphere({ tls: cert, apiType: 'none' });
  noPerm = await startFakeVsphere({
    tls: cert,
    apiType: 'VirtualCenter',
    password: PASSWORD,
    noPermission: true,
  });
});
afterAll(async () => {
  await Promise.all([vc.close(), esxi.close(), web.close(), noPerm.close()]);
});

describe('runConnectivityTest (vSphere)', () => {
  it('passes every step against a pinned vCenter and reports timings and facts', async () => {
    const r = await runConnectivityTest(target({ port: vc.port }), { now });
    expect(r.steps.map((s) => [s.id, s.status])).toEqual([
      ['dns', 'ok'],
      ['tcp', 'ok'],
      ['tls', 'warning'], // 30-day certificate: expiry warning
      ['api', 'ok'],
      ['login', 'ok'],
      ['permission', 'ok'],
    ]);
    expect(r.ok).toBe(true);
    expect(stepOf(r, 'tls').facts).toMatchObject({
      fingerprint256: cert.fingerprint256,
      pinned: true,
      selfSigned: true,
    });
    expect(stepOf(r, 'api').facts).toMatchObject({ apiType: 'VirtualCenter', version: '8.0.2.0' });
    for (const s of r.steps) expect(s.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
  });

  it('fails an unknown self-signed certificate with its facts and the ways to trust it', async () => {
    const before = vc.bodies.length;
    const r = await runConnectivityTest(target({ port: vc.port, thumbprint: null }), { now });
    const tls = stepOf(r, 'tls');
    expect(tls.status).toBe('failed');
    expect(tls.error?.code).toBe('TLS_UNTRUSTED');
    expect(tls.error?.details).toMatchObject({
      fingerprint256: cert.fingerprint256,
      selfSigned: true,
    });
    expect(tls.error?.details?.['subject']).toContain('CN=localhost');
    expect(tls.error?.details?.['issuer']).toContain('CN=localhost');
    expect(tls.error?.details?.['validTo']).toBeTypeOf('string');
    expect(tls.error?.message).toContain('--thumbprint');
    expect(stepOf(r, 'login').status).toBe('skipped');
    // Nothing (so no password) was sent to the untrusted server.
    expect(vc.bodies.length).toBe(before);
  });

  it('refuses a changed certificate with TLS_PIN_MISMATCH', async () => {
    const other = makeSelfSigned('localhost');
    const r = await runConnectivityTest(
      target({ port: vc.port, thumbprint: other.fingerprint256 }),
      { now },
    );
    expect(failedCode(r)).toBe('TLS_PIN_MISMATCH');
    expect(stepOf(r, 'tls').error?.details).toMatchObject({
      fingerprint256: cert.fingerprint256,
      pinned: other.fingerprint256,
    });
  });

  it('trust on first use pins what it saw on first contact', async () => {
    const pinned: TrustDecision[] = [];
    const r = await runConnectivityTest(
      target({ port: vc.port, thumbprint: null, trustOnFirstUse: true }),
      {
        now,
        onFirstUsePin: (d) => {
          pinned.push(d);
          return Promise.resolve();
        },
      },
    );
    expect(r.ok).toBe(true);
    expect(pinned.map((d) => d.thumbprint)).toEqual([cert.fingerprint256]);
    expect(stepOf(r, 'tls').facts).toMatchObject({ trustedVia: 'first-use' });
  });

  it('says so when an ESXi host is registered as a vCenter, and vice versa', async () => {
    const a = await runConnectivityTest(target({ port: esxi.port }), { now });
    expect(failedCode(a)).toBe('WRONG_ENDPOINT_KIND');
    expect(stepOf(a, 'api').detail).toMatch(/ESXi/);
    const b = await runConnectivityTest(target({ port: vc.port, kind: 'esxi' }), { now });
    expect(failedCode(b)).toBe('WRONG_ENDPOINT_KIND');
  });

  it('recognizes a web server that is not vSphere', async () => {
    const r = await runConnectivityTest(target({ port: web.port }), { now });
    expect(failedCode(r)).toBe('NOT_VSPHERE');
    expect(stepOf(r, 'api').detail).toMatch(/not a vSphere API/);
  });

  it('reports a wrong password as INVALID_LOGIN without echoing it', async () => {
    const r = await runConnectivityTest(target({ port: vc.port, password: 'wrong-password-123' }), {
      now,
    });
    expect(failedCode(r)).toBe('INVALID_LOGIN');
    expect(stepOf(r, 'permission').status).toBe('skipped');
    expect(JSON.stringify(r)).not.toContain('wrong-password-123');
  });

  it('reports a login without read permission as NO_PERMISSION', async () => {
    const r = await runConnectivityTest(target({ port: noPerm.port }), { now });
    expect(stepOf(r, 'login').status).toBe('ok');
    expect(failedCode(r)).toBe('NO_PERMISSION');
  });

  it('explains a missing credential at the login step', async () => {
    const r = await runConnectivityTest(target({ port: vc.port, password: null }), { now });
    expect(failedCode(r)).toBe('CREDENTIALS_REQUIRED');
    expect(stepOf(r, 'api').status).toBe('ok');
  });
});

describe('runConnectivityTest (network failures)', () => {
  it('fails DNS for a name that cannot exist', async () => {
    const r = await runConnectivityTest(target({ host: 'no-such-host.invalid', port: 443 }), {
      now,
    });
    expect(failedCode(r)).toBe('DNS_FAILED');
    expect(stepOf(r, 'dns').detail).toMatch(/does not resolve|did not answer/);
    expect(r.steps.slice(1).every((s) => s.status === 'skipped')).toBe(true);
  });

  it('reports a refused port', async () => {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const r = await runConnectivityTest(target({ port }), { now });
    expect(failedCode(r)).toBe('CONNECTION_REFUSED');
    expect(stepOf(r, 'tcp').detail).toContain(`port ${port}`);
  });

  it('times out on a server that accepts and never answers', async () => {
    const sockets: Socket[] = [];
    const s: Server = createServer((sock) => sockets.push(sock));
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const port = (s.address() as AddressInfo).port;
    try {
      const r = await runConnectivityTest(target({ port }), { now, timeoutMs: 300 });
      expect(stepOf(r, 'tcp').status).toBe('ok');
      expect(failedCode(r)).toBe('TIMEOUT');
      expect(stepOf(r, 'tls').detail).toMatch(/within 300 ms/);
    } finally {
      for (const x of sockets) x.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  it('words unreachable hosts (no route) on their own', () => {
    // A real unroutable address behaves differently per network (silence, reject); the socket
    // error codes are what the operating system reports, so map them directly.
    for (const code of ['EHOSTUNREACH', 'ENETUNREACH']) {
      const e = netError(
        Object.assign(new Error(code), { code }),
        'vc01',
        443,
        'TCP connect to vc01:443',
      );
      expect(e.code).toBe('HOST_UNREACHABLE');
      expect(e.message).toMatch(/unreachable from this machine/);
    }
    expect(
      netError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), 'vc01', 443, 'TCP').code,
    ).toBe('TIMEOUT');
  });
});

const PWSH = { version: '7.4.1', modules: { hyperV: false, failoverClusters: false } };

describe('runConnectivityTest (Hyper-V)', () => {
  it('checks WinRM and PowerShell, and says when a web server is not WinRM', async () => {
    const winrm = createHttpServer((req, res) => {
      if (req.url === '/wsman') res.writeHead(401, { 'www-authenticate': 'Negotiate' }).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => winrm.listen(0, '127.0.0.1', resolve));
    const port = (winrm.address() as AddressInfo).port;
    try {
      const logins: string[] = [];
      const ok = await runConnectivityTest(target({ kind: 'hyperv', port, thumbprint: null }), {
        now,
        checkPowerShell: () => Promise.resolve(PWSH),
        probeLogin: (t) => {
          logins.push(`${t.kind}:${t.host}:${t.port}`);
          return Promise.resolve({
            detail: 'Signed in over WinRM.',
            permission: { ok: true, detail: 'Reads the host and its VMs.' },
          });
        },
      });
      expect(stepOf(ok, 'tls').status).toBe('skipped');
      expect(stepOf(ok, 'login')).toMatchObject({ status: 'ok', detail: 'Signed in over WinRM.' });
      expect(stepOf(ok, 'permission').status).toBe('ok');
      expect(logins).toEqual([`hyperv:127.0.0.1:${port}`]);
      expect(ok.ok).toBe(true);
      expect(stepOf(ok, 'api')).toMatchObject({
        status: 'ok',
        facts: { powershell: '7.4.1', winrmAuth: 'Negotiate' },
      });

      const noPwsh = await runConnectivityTest(target({ kind: 'hyperv', port, thumbprint: null }), {
        now,
        env: { NODE_POWERSHELL: '/nonexistent/pwsh' },
      });
      expect(failedCode(noPwsh)).toBe('POWERSHELL_UNAVAILABLE');
      // A local fact, found first, by its own step (the api step used to find it after WinRM).
      expect(stepOf(noPwsh, 'local').detail).toMatch(/NODE_POWERSHELL/);
    } finally {
      await new Promise<void>((resolve) => winrm.close(() => resolve()));
    }
    const r = await runConnectivityTest(
      target({ kind: 'hyperv', port: web.port, useSsl: true, thumbprint: cert.fingerprint256 }),
      {
        now,
        checkPowerShell: () => Promise.resolve(PWSH),
      },
    );
    expect(failedCode(r)).toBe('NOT_HYPERV');
  });
});

describe('runConnectivityTest (Hyper-V local prerequisites)', () => {
  it('names a missing PowerShell first, even when the host does not resolve', async () => {
    const r = await runConnectivityTest(
      target({ kind: 'hyperv', host: 'nohost.invalid', port: 5985, thumbprint: null }),
      { now, env: { NODE_POWERSHELL: '/nonexistent/dir/pwsh' } },
    );
    expect(r.steps.map((s) => [s.id, s.status])).toEqual([
      ['local', 'failed'],
      ['dns', 'skipped'],
      ['tcp', 'skipped'],
      ['tls', 'skipped'],
      ['api', 'skipped'],
      ['login', 'skipped'],
      ['permission', 'skipped'],
    ]);
    const local = stepOf(r, 'local');
    expect(local.error?.code).toBe('POWERSHELL_UNAVAILABLE');
    expect(local.detail).toContain('/nonexistent/dir/pwsh');
    expect(local.detail).toMatch(/not found on this machine/);
    expect(r.ok).toBe(false);
  });

  it.runIf(process.platform !== 'win32')(
    'reports the version and the modules of a PowerShell that starts, then goes on to the network',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'infrascope-pwsh-'));
      try {
        // A stand-in PowerShell that prints what the real one prints for the check's command.
        const exe = join(dir, 'pwsh');
        writeFileSync(exe, '#!/bin/sh\nprintf "7.4.6\\nFailoverClusters,Hyper-V\\n"\n', {
          mode: 0o755,
        });
        const r = await runConnectivityTest(
          target({ kind: 'hyperv', host: 'nohost.invalid', port: 5985, thumbprint: null }),
          { now, env: { NODE_POWERSHELL: exe } },
        );
        expect(stepOf(r, 'local')).toMatchObject({
          status: 'ok',
          facts: {
            powershell: '7.4.6',
            powershellPath: exe,
            hypervModule: true,
            failoverClustersModule: true,
          },
        });
        expect(stepOf(r, 'dns').status).toBe('failed');
        expect(failedCode(r)).not.toBe('POWERSHELL_UNAVAILABLE');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it("reads the check's output, and warns about a PowerShell too old for remoting", async () => {
    expect(parseLocalPowerShell('7.4.1\r\n\r\n')).toEqual({
      version: '7.4.1',
      modules: { hyperV: false, failoverClusters: false },
    });
    expect(parseLocalPowerShell('5.1.17763.1\r\nHyper-V\r\n').modules).toEqual({
      hyperV: true,
      failoverClusters: false,
    });
    const r = await runConnectivityTest(
      target({ kind: 'hyperv', host: 'nohost.invalid', port: 5985, thumbprint: null }),
      { now, checkPowerShell: () => Promise.resolve({ ...PWSH, version: '4.0' }) },
    );
    expect(stepOf(r, 'local').status).toBe('warning');
    expect(stepOf(r, 'local').detail).toMatch(/before 5\.1/);
  });
});
