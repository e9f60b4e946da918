import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { addEndpoint, sampleInventory } from '../helpers/store.js';
import { withFields } from '../../src/shared/entities.js';
import type { Served } from './fixtures.js';
import { launchBrowser, openApp, openE2eStore, serveE2e, tempDataDir } from './fixtures.js';
import { AlertsPage } from './pages/alerts-page.js';
import { DashboardPage } from './pages/dashboard-page.js';

/*
 * The alerts console end to end: a store whose datastore is 95 % full is served, an evaluation
 * from the page raises the datastore-usage alert, and the operator acknowledges it with a comment.
 */

// Runs on the team store too: INFRASCOPE_E2E_STORE=postgres (fixtures.ts E2E_ENGINE).
let browser: Browser;
let served: Served;
const data = tempDataDir();
const FULL = /Datastore ds-gold is 95\.0 % full/;

beforeAll(async () => {
  const store = await openE2eStore(data.dir);
  const ep = await addEndpoint(store.db, 'vc-lab');
  const entities = sampleInventory(3).map((e) =>
    e.id === 'datastore-1' ? withFields(e, { freeBytes: 50 }) : e,
  );
  await writeFullInventory(
    store.db,
    { entities },
    { endpointId: ep, syncRunId: null, now: new Date() },
  );
  await store.close();
  served = await serveE2e(data.dir);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await stopSharedPostgres();
  data.cleanup();
});

describe('alerts console in Chromium', () => {
  it('shows a raised datastore alert and acknowledges it with a comment', async () => {
    const { page, errors } = await openApp(browser, served.url);
    const alerts = new AlertsPage(page);
    await alerts.open();
    await alerts.evaluateNow();
    const row = alerts.row(FULL);
    await row.waitFor();
    expect(await row.innerText()).toMatch(/critical\s+active\s+ds-gold/);
    expect(await row.innerText()).toContain('vc-lab');

    await alerts.acknowledge(FULL, 'expanding the LUN tonight');
    await row.filter({ hasText: 'acknowledged' }).waitFor();
    const history = await alerts.showHistory(FULL);
    // The panel shows who acknowledged with the comment, and the transition in its history.
    await alerts.historyFact(history, ': expanding the LUN tonight').waitFor();
    await alerts.transition(history, /acknowledged.* — expanding the LUN tonight/).waitFor();
    expect(await alerts.transitions(history).innerText()).toMatch(/raised/);

    // Still acknowledged after another evaluation (the condition holds, nothing new happened).
    await alerts.evaluateNow();
    await page.reload();
    await alerts.open();
    await alerts.row(FULL).filter({ hasText: 'acknowledged' }).waitFor();
    // The dashboard counts it: acknowledged is not cleared.
    await alerts.app.open('Dashboard');
    const critical = new DashboardPage(page).card('Critical alerts');
    await critical.waitFor();
    expect(await critical.innerText()).toMatch(/^1\s/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
