import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeHandle } from '../../src/core/serve/server.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { makeCore } from '../doubles/core-harness.js';
import { getRequest, rawRequest, serveProperty, serveSmallUi } from './serve-fuzz.js';

// A fixed seed and a bounded count in the suite; `npm run fuzz` runs many more with a fresh seed.
const runs = Number(process.env['FUZZ_RUNS'] ?? 250);

let h: CoreHarness;
let serve: ServeHandle;
beforeAll(async () => {
  h = await makeCore();
  serve = await serveSmallUi(h.core);
});
afterAll(async () => {
  await serve?.close();
  await h?.close();
});

describe('serve under random paths, headers and upgrades', () => {
  it('answers every request without a 5xx and still serves the app afterwards', async () => {
    await fc.assert(serveProperty(serve.port), { seed: 20261203, numRuns: runs });
    expect((await rawRequest(serve.port, getRequest(serve.port, '/'))).status).toBe(200);
    // The refusals were logged, not thrown.
    expect(h.logs.join('')).not.toContain('failed"');
  });
});
