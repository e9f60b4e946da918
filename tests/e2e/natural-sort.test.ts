import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { openStore } from '../../src/core/store/sqlite.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { addEndpoint, sampleInventory } from '../helpers/store.js';
import type { Served } from './fixtures.js';
import {
  e2eServeOptions,
  e2eStoreLocation,
  launchBrowser,
  startServe,
  tempDataDir,
} from './fixtures.js';
import { WorkspacePage } from './pages/workspace-page.js';

/*
 * The VMs table sorted by name lists names as people read them: VM2 before VM10. Runs on the team
 * store too: INFRASCOPE_E2E_STORE=postgres (fixtures.ts E2E_ENGINE).
 */

const NAMES = ['VM10', 'VM2', 'VM100', 'VM1', 'VM9'];

let browser: Browser;
let page: Page;
let served: Served;
const data = tempDataDir();

beforeAll(async () => {
  const store = await openStore({ file: await e2eStoreLocation(data.dir) });
  const endpointId = await addEndpoint(store.db, 'vc-lab');
  let i = 0;
  const entities = sampleInventory(NAMES.length).map((e) =>
    e.type === 'vm' ? { ...e, name: NAMES[i++]! } : e,
  );
  await writeFullInventory(
    store.db,
    { entities },
    { endpointId, syncRunId: null, now: new Date() },
  );
  await store.close();
  served = await startServe(data.dir, ['--no-sync'], undefined, await e2eServeOptions(data.dir));
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(served.url);
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await stopSharedPostgres();
  data.cleanup();
});

describe('natural sort in the VMs table', () => {
  it('shows VM2 before VM10 sorted by name, and the reverse sorted descending', async () => {
    const ws = new WorkspacePage(page);
    await ws.open('VMs', 'Virtual machines');
    await ws.waitForCount(`${NAMES.length} VMs`);
    const shown = async (): Promise<string[]> =>
      (await ws.rows('Virtual machines').allInnerTexts()).map(
        (text) => /\bVM\d+\b/.exec(text)?.[0] ?? text,
      );
    const order = ['VM1', 'VM2', 'VM9', 'VM10', 'VM100'];
    await ws.sortBy('Virtual machines', 'Name');
    const sort = (): Promise<string | null> =>
      ws.header('Virtual machines', 'Name').getAttribute('aria-sort');
    if ((await sort()) !== 'ascending') await ws.sortBy('Virtual machines', 'Name');
    await expect.poll(sort).toBe('ascending');
    await expect.poll(shown).toEqual(order);
    await ws.sortBy('Virtual machines', 'Name');
    await expect.poll(sort).toBe('descending');
    await expect.poll(shown).toEqual([...order].reverse());
  });
});
