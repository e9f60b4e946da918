/**
 * The collector against a hostile or broken server: vcsim behind the fault-injecting proxy. Under
 * each fault a typed AppError naming the endpoint and the method, retries (with backoff) only for
 * idempotent reads, one re-login on NotAuthenticated, bounded memory on a huge answer, and never
 * a half-built inventory: collectFull either returns everything or throws.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FullInventory } from '../../src/shared/entities.js';
import { AppError } from '../../src/shared/errors.js';
import { createVsphereCollector } from '../../src/core/collectors/vsphere/index.js';
import { objectListSpecXmls } from '../../src/core/collectors/vsphere/collector.js';
import type { VsphereCollectorOptions } from '../../src/core/collectors/vsphere/index.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { startFaultProxy } from '../doubles/fault-proxy/fault-proxy.js';
import type { FaultProxy } from '../doubles/fault-proxy/fault-proxy.js';
import { openDriver, targetFor, testContext } from './helpers.js';

let sim: Vcsim;
let proxy: FaultProxy;
/**
 * Faults go to the container-view reads: the custom-field read before them is optional (its
 * failure is logged, not fatal), which would otherwise take the first hits.
 */
const VIEWS = 'ContainerView';

/** What vcsim holds, read once without the proxy. */
let truth: FullInventory;

beforeAll(async () => {
  sim = await startVcsim({ standaloneHost: 0, host: 2, vm: 4 });
  proxy = await startFaultProxy({ host: sim.host, port: sim.port });
  const direct = createVsphereCollector(targetFor(sim), { skipTags: true });
  try {
    truth = await direct.collectFull(testContext());
  } finally {
    await direct.dispose();
  }
});

afterAll(async () => {
  await proxy?.close();
  await sim?.stop();
});

afterEach(() => {
  proxy.clear();
  proxy.log.length = 0;
});

function collector(opts: VsphereCollectorOptions = {}): ReturnType<typeof createVsphereCollector> {
  return createVsphereCollector(
    targetFor(sim, { host: proxy.host, port: proxy.port, thumbprint: proxy.thumbprint }),
    { skipTags: true, retryDelayMs: 20, timeoutMs: 10_000, ...opts },
  );
}

/** collectFull through the proxy; returns the inventory or the AppError (anything else fails). */
async function collect(opts: VsphereCollectorOptions = {}): Promise<FullInventory | AppError> {
  const c = collector(opts);
  try {
    return await c.collectFull(testContext());
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  } finally {
    await c.dispose();
  }
}

function expectError(
  r: FullInventory | AppError,
  code: string,
  method: string,
): asserts r is AppError {
  expect(r, 'collectFull must fail, not return a partial inventory').toBeInstanceOf(AppError);
  const e = r as AppError;
  expect(e.code).toBe(code);
  // Names the endpoint and the call that failed.
  expect(e.details?.['host']).toBe(proxy.host);
  expect(e.details?.['method']).toBe(method);
}

function expectComplete(r: FullInventory | AppError): void {
  expect(r, r instanceof AppError ? `${r.code}: ${r.message}` : '').not.toBeInstanceOf(AppError);
  const inv = r as FullInventory;
  const key = (e: { type: string; id: string }): string => `${e.type}:${e.id}`;
  expect(inv.entities.map(key).sort()).toEqual(truth.entities.map(key).sort());
}

describe('vSphere collector behind a fault-injecting proxy', () => {
  it('passes everything through when no fault is set', async () => {
    expectComplete(await collect());
    expect(proxy.count('Login')).toBe(1);
  });

  it('a connection cut mid-answer: an idempotent read is retried and the sync completes', async () => {
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: VIEWS,
        fault: { kind: 'cut', afterBytes: 600 },
        times: 1,
      },
    ]);
    expectComplete(await collect());
    expect(proxy.log.filter((r) => r.outcome === 'cut')).toHaveLength(1);
  });

  it('a connection cut on every try: CONNECTION_LOST after bounded retries, nothing half-built', async () => {
    proxy.setRules([
      { method: 'RetrievePropertiesEx', contains: VIEWS, fault: { kind: 'cut', afterBytes: 600 } },
    ]);
    const c = collector();
    try {
      const r = await c.collectFull(testContext()).catch((e: unknown) => e as AppError);
      expectError(r, 'CONNECTION_LOST', 'RetrievePropertiesEx');
      expect(r.details?.['attempts']).toBe(3);
      expect(proxy.log.filter((x) => x.outcome === 'cut')).toHaveLength(3);
      // The same collector, once the server behaves, returns the whole inventory.
      proxy.clear();
      expectComplete(await c.collectFull(testContext()));
    } finally {
      await c.dispose();
    }
  });

  it('a stall past the timeout: TIMEOUT, not retried', async () => {
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: VIEWS,
        fault: { kind: 'stall', afterBytes: 200 },
      },
    ]);
    const t0 = Date.now();
    const r = await collect({ timeoutMs: 700 });
    expectError(r, 'TIMEOUT', 'RetrievePropertiesEx');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(proxy.log.filter((x) => x.outcome === 'stall')).toHaveLength(1);
  });

  it('HTTP 503 once on RetrieveServiceContent: retried with backoff, sync completes', async () => {
    proxy.setRules([
      { method: 'RetrieveServiceContent', fault: { kind: 'status', status: 503 }, times: 1 },
    ]);
    expectComplete(await collect());
    expect(proxy.count('RetrieveServiceContent')).toBe(2);
  });

  it('HTTP 500 on every RetrievePropertiesEx: HTTP_ERROR with the status, after 3 attempts', async () => {
    proxy.setRules([
      { method: 'RetrievePropertiesEx', contains: VIEWS, fault: { kind: 'status', status: 500 } },
    ]);
    const r = await collect();
    expectError(r, 'HTTP_ERROR', 'RetrievePropertiesEx');
    expect(r.details?.['status']).toBe(500);
    expect(r.details?.['attempts']).toBe(3);
    expect(proxy.log.filter((x) => x.outcome === 'status')).toHaveLength(3);
  });

  it('Login is never retried, even on a transient-looking failure', async () => {
    proxy.setRules([{ method: 'Login', fault: { kind: 'status', status: 503 } }]);
    const r = await collect();
    expectError(r, 'HTTP_ERROR', 'Login');
    expect(proxy.count('Login')).toBe(1);
  });

  it('a task-like or view-creating call is not retried after a dropped connection', async () => {
    proxy.setRules([{ method: 'CreateContainerView', fault: { kind: 'drop' } }]);
    const r = await collect();
    expectError(r, 'CONNECTION_LOST', 'CreateContainerView');
    expect(proxy.count('CreateContainerView')).toBe(1);
  });

  it('a SOAP fault: SOAP_FAULT with the fault type, not retried', async () => {
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: VIEWS,
        fault: { kind: 'soapFault', faultType: 'SystemError', message: 'disk on fire' },
      },
    ]);
    const r = await collect();
    expectError(r, 'SOAP_FAULT', 'RetrievePropertiesEx');
    expect(r.details?.['faultType']).toBe('SystemError');
    expect(r.details?.['faultMessage']).toBe('disk on fire');
    expect(proxy.log.filter((x) => x.outcome === 'soapFault')).toHaveLength(1);
  });

  it('NotAuthenticated once: one re-login, views made again, the sync completes', async () => {
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: VIEWS,
        fault: { kind: 'soapFault', faultType: 'NotAuthenticated' },
        times: 1,
      },
    ]);
    expectComplete(await collect());
    expect(proxy.count('Login')).toBe(2);
  });

  it('NotAuthenticated again after the re-login: NOT_AUTHENTICATED, exactly one re-login', async () => {
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: VIEWS,
        fault: { kind: 'soapFault', faultType: 'NotAuthenticated' },
      },
    ]);
    const r = await collect();
    expectError(r, 'NOT_AUTHENTICATED', 'RetrievePropertiesEx');
    expect(proxy.count('Login')).toBe(2);
  });

  it('malformed XML: PROTOCOL_ERROR, not retried', async () => {
    proxy.setRules([
      { method: 'RetrievePropertiesEx', contains: VIEWS, fault: { kind: 'malformed' } },
    ]);
    const r = await collect();
    expectError(r, 'PROTOCOL_ERROR', 'RetrievePropertiesEx');
    expect(proxy.log.filter((x) => x.outcome === 'malformed')).toHaveLength(1);
  });

  it('XML truncated by a closed connection: PROTOCOL_ERROR', async () => {
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: VIEWS,
        fault: { kind: 'truncate', atBytes: 900 },
      },
    ]);
    const r = await collect();
    expectError(r, 'PROTOCOL_ERROR', 'RetrievePropertiesEx');
  });

  it('a huge answer: PROTOCOL_ERROR at the size cap, memory stays bounded', async () => {
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: VIEWS,
        fault: { kind: 'huge', bytes: 512 * 1024 * 1024 },
      },
    ]);
    const before = process.memoryUsage().rss;
    const t0 = Date.now();
    const r = await collect({ maxTreeBytes: 16 * 1024 * 1024 });
    expectError(r, 'PROTOCOL_ERROR', 'RetrievePropertiesEx');
    expect(r.details?.['reason']).toBe('response too large');
    // The client stopped reading at the cap instead of taking 512 MB.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('an endless stream of small objects: PROTOCOL_ERROR at the total cap', async () => {
    // Each object is small and streamed away: only the cap on the whole answer can trip.
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: VIEWS,
        fault: { kind: 'flood', bytes: 256 * 1024 * 1024 },
      },
    ]);
    const r = await collect({ maxResponseBytes: 8 * 1024 * 1024 });
    expectError(r, 'PROTOCOL_ERROR', 'RetrievePropertiesEx');
    expect(r.details?.['limitBytes']).toBe(8 * 1024 * 1024);
  });

  it('every 2nd RetrievePropertiesEx dropped: the retries carry the sync through', async () => {
    proxy.setRules([
      { method: 'RetrievePropertiesEx', contains: VIEWS, fault: { kind: 'drop' }, every: 2 },
    ]);
    expectComplete(await collect());
    expect(proxy.log.filter((x) => x.outcome === 'drop').length).toBeGreaterThan(2);
  });

  it('a slow answer within the timeout completes; past the timeout it is TIMEOUT', async () => {
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: VIEWS,
        fault: { kind: 'slow', delayMs: 5, chunkBytes: 8192 },
      },
    ]);
    expectComplete(await collect());
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: VIEWS,
        fault: { kind: 'slow', delayMs: 200, chunkBytes: 256 },
      },
    ]);
    const r = await collect({ timeoutMs: 600 });
    expectError(r, 'TIMEOUT', 'RetrievePropertiesEx');
  });

  it('another endpoint is unaffected while this one fails', async () => {
    proxy.setRules([{ fault: { kind: 'stall' } }]);
    const healthy = createVsphereCollector(targetFor(sim), { skipTags: true });
    try {
      const [bad, good] = await Promise.all([
        collect({ timeoutMs: 1500 }),
        healthy.collectFull(testContext()),
      ]);
      expectError(bad, 'TIMEOUT', 'RetrieveServiceContent');
      expectComplete(good);
    } finally {
      await healthy.dispose();
    }
  });
});

/** Large VM views are read by reference in slices, two requests in flight: the same faults there. */
describe('VM slices read two at a time, behind the proxy', () => {
  const SLICES = 'reportMissingObjectsInResults';
  const sliced = { vmSlice: 2 };

  it('read in slices, the inventory is the same', async () => {
    expectComplete(await collect(sliced));
    expect(proxy.log.filter((x) => x.method === 'RetrievePropertiesEx').length).toBeGreaterThan(10);
  });

  it('a slice cut mid-answer is retried; the sync completes', async () => {
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: SLICES,
        fault: { kind: 'cut', afterBytes: 700 },
        times: 2,
      },
    ]);
    expectComplete(await collect(sliced));
    expect(proxy.log.filter((x) => x.outcome === 'cut')).toHaveLength(2);
  });

  it('NotAuthenticated on the slices: one re-login serves both lanes', async () => {
    proxy.setRules([
      {
        method: 'RetrievePropertiesEx',
        contains: SLICES,
        fault: { kind: 'soapFault', faultType: 'NotAuthenticated' },
        times: 2,
      },
    ]);
    expectComplete(await collect(sliced));
    expect(proxy.count('Login')).toBe(2);
  });

  it('a slice that fails for good fails the sync with a typed error, nothing returned', async () => {
    proxy.setRules([
      { method: 'RetrievePropertiesEx', contains: SLICES, fault: { kind: 'malformed' }, every: 2 },
    ]);
    const c = collector(sliced);
    try {
      const r = await c.collectFull(testContext()).catch((e: unknown) => e as AppError);
      expectError(r, 'PROTOCOL_ERROR', 'RetrievePropertiesEx');
      // The other lane was cancelled, and the next collection on this collector is whole.
      proxy.clear();
      expectComplete(await c.collectFull(testContext()));
    } finally {
      await c.dispose();
    }
  });

  it('a VM deleted between listing and reading is left out, not a fault', async () => {
    const driver = await openDriver(sim);
    try {
      const vms = await driver.list('VirtualMachine');
      const c = driver.client;
      const gone = { type: 'VirtualMachine', value: 'vm-does-not-exist' };
      const seen: string[] = [];
      await c.retrieveConcurrent(
        objectListSpecXmls(
          c.serviceContent.about.apiVersion,
          'VirtualMachine',
          [...vms.map((v) => v.ref), gone],
          3,
        ),
        1000,
        (o) => {
          if (o.props.size > 0) seen.push(o.obj.value);
        },
      );
      expect(seen.sort()).toEqual(vms.map((v) => v.ref.value).sort());
    } finally {
      await driver.close();
    }
  });
});
