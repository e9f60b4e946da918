import { afterEach, describe, expect, it } from 'vitest';
import type { HyperVCollectorOptions } from '../../src/core/collectors/hyperv/index.js';
import { createHyperVCollector } from '../../src/core/collectors/hyperv/index.js';
import type { CollectorTarget } from '../../src/core/collectors/collector.js';
import { AppError } from '../../src/shared/errors.js';
import type { ErrorCode } from '../../src/shared/errors.js';
import type { DoubleControl, DoubleHandle } from './helpers.js';
import { captureLog, ctxOf, target, useDouble } from './helpers.js';

let double: DoubleHandle | undefined;
afterEach(() => {
  double?.restore();
  double = undefined;
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

async function failure(
  control: DoubleControl,
  opts: HyperVCollectorOptions = {},
  t: Partial<CollectorTarget> = {},
): Promise<AppError> {
  double = useDouble(control);
  const collector = createHyperVCollector(target(t), opts);
  try {
    return await rejection(collector.collectFull(ctxOf(captureLog().log)));
  } finally {
    await collector.dispose();
  }
}

describe('Hyper-V failures through the PowerShell double', () => {
  const classes: [string, ErrorCode, RegExp][] = [
    ['access-denied', 'ACCESS_DENIED', /Remote Management Users/],
    ['hyperv-permission', 'ACCESS_DENIED', /Hyper-V Administrators/],
    ['logon-failure', 'INVALID_LOGIN', /rejected the user name or password/],
    ['winrm-unreachable', 'WINRM_UNREACHABLE', /Enable-PSRemoting/],
    ['module-missing', 'HYPERV_MODULE_MISSING', /Hyper-V PowerShell module/],
    ['cluster-module-missing', 'HYPERV_MODULE_MISSING', /FailoverClusters/],
    ['double-hop', 'KERBEROS_DOUBLE_HOP', /delegation/],
    ['not-hyperv', 'NOT_HYPERV', /does not run the Hyper-V role/],
  ];
  for (const [kind, code, advice] of classes) {
    it(`maps a PowerShell ${kind} error record to ${code}`, async () => {
      const e = await failure({
        fixture: 'standalone-ps51.json',
        scripts: { 'get-endpoint': [`error:${kind}`] },
      });
      expect(e.code).toBe(code);
      expect(e.message).toMatch(advice);
      expect(e.details).toMatchObject({ endpoint: 'hv-lab' });
    });
  }

  it('a wrong password is INVALID_LOGIN (the double checks the credential it got on stdin)', async () => {
    const e = await failure(
      { fixture: 'standalone-ps51.json' },
      {},
      { password: 'not-the-password' },
    );
    expect(e.code).toBe('INVALID_LOGIN');
  });

  it('names the cluster node that failed in get-nodes', async () => {
    const e = await failure({
      fixture: 'cluster-ps7.json',
      nodeErrors: { HVC02: 'winrm-unreachable' },
    });
    expect(e.code).toBe('WINRM_UNREACHABLE');
    expect(e.message).toMatch(/HVC02\.corp\.example/);
  });

  it('a hung script is stopped by the watchdog (TIMEOUT) and the next command runs in a new process', async () => {
    double = useDouble({
      fixture: 'standalone-ps51.json',
      scripts: { 'get-endpoint': ['hang', 'ok'] },
    });
    const log = captureLog();
    const collector = createHyperVCollector(target(), { endpointTimeoutMs: 800 });
    const started = Date.now();
    const e = await rejection(collector.collectFull(ctxOf(log.log)));
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toMatch(/get-endpoint.*hv-lab/);
    expect(Date.now() - started).toBeLessThan(5000);
    const inv = await collector.collectFull(ctxOf(log.log));
    await collector.dispose();
    expect(inv.entities.filter((x) => x.type === 'vm')).toHaveLength(4);
    expect(collector.powershell.processStarts).toBe(2);
    const pids = new Set(
      double
        .records()
        .filter((r) => r.event === 'start')
        .map((r) => r.pid),
    );
    expect(pids.size).toBe(2);
    expect(log.text()).toMatch(/did not finish get-endpoint/);
  });

  it('garbage on stdout is PROTOCOL_ERROR naming the endpoint', async () => {
    const e = await failure({
      fixture: 'standalone-ps51.json',
      scripts: { 'get-nodes': ['garbage'] },
    });
    expect(e.code).toBe('PROTOCOL_ERROR');
    expect(e.message).toMatch(/hv-lab: get-nodes printed malformed JSON/);
  });

  it('a document that breaks the schema (an enum left as a number) is PROTOCOL_ERROR with the path', async () => {
    const e = await failure({
      fixture: 'standalone-ps51.json',
      scripts: { 'get-nodes': ['schema'] },
    });
    expect(e.code).toBe('PROTOCOL_ERROR');
    expect(e.message).toMatch(
      /hv-lab: get-nodes output does not match its schema at Nodes\.0\.VMs\.0\.State/,
    );
  });

  it('a crash mid-output is CONNECTION_LOST, and the collector recovers in a new process', async () => {
    double = useDouble({
      fixture: 'standalone-ps51.json',
      scripts: { 'get-nodes': ['crash', 'ok'] },
    });
    const collector = createHyperVCollector(target());
    const e = await rejection(collector.collectFull(ctxOf(captureLog().log)));
    expect(e.code).toBe('CONNECTION_LOST');
    expect(e.message).toMatch(/exit code 3/);
    const inv = await collector.collectFull(ctxOf(captureLog().log));
    await collector.dispose();
    expect(inv.entities.some((x) => x.type === 'host')).toBe(true);
    expect(collector.powershell.processStarts).toBe(2);
  });

  it('enormous output is cut off at the cap (PROTOCOL_ERROR) and the process replaced', async () => {
    double = useDouble({
      fixture: 'standalone-ps51.json',
      scripts: { 'get-nodes': ['enormous', 'ok'] },
      enormousChars: 16 * 1024 * 1024,
    });
    const collector = createHyperVCollector(target(), { maxOutputChars: 1024 * 1024 });
    const e = await rejection(collector.collectFull(ctxOf(captureLog().log)));
    expect(e.code).toBe('PROTOCOL_ERROR');
    expect(e.message).toMatch(/more than 1048576 characters/);
    await collector.collectFull(ctxOf(captureLog().log));
    await collector.dispose();
    expect(collector.powershell.processStarts).toBe(2);
  });

  it('no PowerShell at NODE_POWERSHELL is POWERSHELL_UNAVAILABLE', async () => {
    double = useDouble({ fixture: 'standalone-ps51.json' });
    process.env['NODE_POWERSHELL'] = '/nonexistent/pwsh';
    const collector = createHyperVCollector(target());
    const e = await rejection(collector.collectFull(ctxOf(captureLog().log)));
    await collector.dispose();
    expect(e.code).toBe('POWERSHELL_UNAVAILABLE');
    expect(e.message).toMatch(/ENOENT.*NODE_POWERSHELL/);
  });

  it('cancelling a running script is CANCELLED and kills the process', async () => {
    double = useDouble({ fixture: 'standalone-ps51.json', scripts: { 'get-nodes': ['hang'] } });
    const collector = createHyperVCollector(target());
    const ac = new AbortController();
    const pending = rejection(collector.collectFull(ctxOf(captureLog().log, ac.signal)));
    setTimeout(() => ac.abort(), 300);
    const e = await pending;
    await collector.dispose();
    expect(e.code).toBe('CANCELLED');
  });

  it('a script missing from the resources folder fails before PowerShell runs it', async () => {
    double = useDouble({ fixture: 'standalone-ps51.json' });
    const e = await rejection(
      createHyperVCollector(target(), {
        env: { INFRASCOPE_RESOURCES_DIR: double.dir },
      }).collectFull(ctxOf(captureLog().log)),
    );
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toMatch(/get-endpoint\.ps1 is missing/);
  });
});
