import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeHandle } from '../../src/core/serve/server.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { makeCore } from '../doubles/core-harness.js';
import { fillStore } from '../export/fixtures.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { getRequest, rawRequest, serveProperty, serveSmallUi } from './serve-fuzz.js';
import { storeState } from './store-state.js';

// A fixed seed and a bounded count in the suite; `npm run fuzz` runs many more with a fresh seed.
const runs = Number(process.env['FUZZ_RUNS'] ?? 250);

let h: CoreHarness;
let serve: ServeHandle;
afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeAll(async () => {
    h = await makeCore({ store: await testStoreLocation(engine), host: 'serve' });
    await fillStore(h.core.store.db);
    serve = await serveSmallUi(h.core);
  });
  afterAll(async () => {
    await serve?.close();
    await h?.close();
  });

  describe('serve under random paths, headers and upgrades', () => {
    it('answers every request without a 5xx, still serves the app afterwards and changes nothing', async () => {
      const before = await storeState(h.core.store.db);
      // The state holds the inventory, so a change to it would show.
      expect(JSON.stringify(before)).toContain('PG-App');
      await fc.assert(serveProperty(serve.port), { seed: 20261203, numRuns: runs });
      expect((await rawRequest(serve.port, getRequest(serve.port, '/'))).status).toBe(200);
      // The refusals were logged, not thrown.
      expect(h.logs.join('')).not.toContain('failed"');
      expect(await storeState(h.core.store.db)).toEqual(before);
    });
  });
});
