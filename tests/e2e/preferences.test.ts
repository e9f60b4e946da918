import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { logFile } from '../../src/core/log-file.js';
import { readPreferences } from '../../src/core/preferences/service.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { addEndpoint, sampleInventory } from '../helpers/store.js';
import { launchBrowser, openApp, openE2eStore, serveE2e, tempDataDir } from './fixtures.js';
import { WorkspacePage } from './pages/workspace-page.js';

/*
 * Preferences live in the core, not in the page's localStorage: serve picks a new port (a new
 * origin, a new localStorage) each run, yet a table layout and the theme set in one run are
 * there in the next one over the same data directory.
 */

// Runs on the team store too: INFRASCOPE_E2E_STORE=postgres (fixtures.ts E2E_ENGINE).
const data = tempDataDir();
let browser: Browser;

beforeAll(async () => {
  const store = await openE2eStore(data.dir);
  const endpointId = await addEndpoint(store.db, 'vc-lab');
  await writeFullInventory(
    store.db,
    { entities: sampleInventory(5) },
    { endpointId, syncRunId: null, now: new Date() },
  );
  await store.close();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stopSharedPostgres();
  data.cleanup();
});

/** The preferences the store holds, read beside the running serve (SQLite's WAL allows it). */
async function stored(): Promise<Record<string, string>> {
  const store = await openE2eStore(data.dir);
  try {
    return { ...(await readPreferences(store.db)) };
  } finally {
    await store.close();
  }
}

async function vmsPage(page: Page): Promise<WorkspacePage> {
  const ws = new WorkspacePage(page);
  await ws.open('VMs', 'Virtual machines');
  await ws.waitForCount('5 VMs');
  return ws;
}

function headers(ws: WorkspacePage): Promise<string[]> {
  return ws.table('Virtual machines').getByRole('columnheader').allInnerTexts();
}

describe('preferences across serve runs', () => {
  it('keeps a table layout and the theme on another port with the same data directory', async () => {
    const first = await serveE2e(data.dir);
    let firstOrigin: string;
    let hiddenColumn: string;
    try {
      firstOrigin = first.origin;
      const { page, errors } = await openApp(browser, first.url);
      const ws = await vmsPage(page);
      expect(await page.locator('section.table-page').getAttribute('class')).toContain(
        'density-compact',
      );
      // Comfortable rows, one column fewer, light theme.
      await page.getByRole('button', { name: 'Density: compact' }).click();
      await page.getByRole('button', { name: 'Columns' }).click();
      const chooser = page.getByRole('dialog', { name: 'Columns' });
      const second = chooser.getByRole('checkbox').nth(1);
      hiddenColumn = (await second.locator('xpath=..').innerText()).trim();
      expect(await headers(ws)).toContain(hiddenColumn);
      await second.uncheck();
      await page.keyboard.press('Escape');
      expect(await headers(ws)).not.toContain(hiddenColumn);
      await page.getByRole('combobox', { name: 'Theme' }).selectOption('light');
      expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('light');
      // The writes reach the core shortly after (coalesced): wait until the store has them.
      await expect
        .poll(async () => {
          const p = await stored();
          return [p['infrascope.themePref'], p['infrascope.table.vms']?.includes('comfortable')];
        })
        .toEqual(['light', true]);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await first.stop();
    }
    // serve wrote its rotating log file into the data directory.
    expect(existsSync(logFile(data.dir, 'serve'))).toBe(true);

    const next = await serveE2e(data.dir);
    try {
      expect(next.origin).not.toBe(firstOrigin);
      const { page, errors } = await openApp(browser, next.url);
      const ws = await vmsPage(page);
      expect(await page.locator('section.table-page').getAttribute('class')).toContain(
        'density-comfortable',
      );
      expect(await headers(ws)).not.toContain(hiddenColumn);
      expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('light');
      expect(await page.getByRole('combobox', { name: 'Theme' }).inputValue()).toBe('light');
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await next.stop();
    }
  });
});
