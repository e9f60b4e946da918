import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoRef } from '../../src/core/collectors/vsphere/codec.js';
import { enterMaintenance, exitMaintenance, inMaintenance } from '../alerts/vcsim-maintenance.js';
import { endpointAddArgs, startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { openDriver } from '../vsphere/helpers.js';
import type { SimDriver } from '../vsphere/helpers.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import type { Served } from './fixtures.js';
import { e2eCli, launchBrowser, openApp, serveE2e, tempDataDir } from './fixtures.js';
import { AlertsPage } from './pages/alerts-page.js';
import { AppPage } from './pages/app-page.js';
import { EndpointsPage } from './pages/endpoints-page.js';
import { WorkspacePage } from './pages/workspace-page.js';

/*
 * The Playwright scenario against vcsim: a host put into maintenance through vcsim's own
 * API (EnterMaintenanceMode_Task on a second session) raises the info alert after a sync started
 * from the UI; it shows in the console and as a badge on the host's row and in its detail view,
 * is acknowledged with a comment, reaches a webhook on 127.0.0.1, and clears when the host leaves
 * maintenance. The webhook's test button is checked against what the local server received.
 */

let sim: Vcsim;
let driver: SimDriver;
let served: Served;
let browser: Browser;
let hook: Server;
let hookUrl = '';
const posted: { path: string; body: Record<string, unknown> }[] = [];
// Runs on the team store too: INFRASCOPE_E2E_STORE=postgres (fixtures.ts E2E_ENGINE).
const data = tempDataDir();
const ENDPOINT = 'sim';

beforeAll(async () => {
  sim = await startVcsim();
  driver = await openDriver(sim);
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      posted.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  // The endpoint goes in through the CLI (the password from the environment, the certificate
  // pinned), the way a script would; the served UI reads the same store.
  const cli = await e2eCli(data.dir, endpointAddArgs(sim, ENDPOINT, 'E2E_VCSIM_PASSWORD'));
  const add = spawnSync(process.execPath, cli.argv, {
    encoding: 'utf8',
    env: { ...process.env, ...cli.env, E2E_VCSIM_PASSWORD: sim.password },
  });
  expect(add.stderr).toBe('');
  expect(add.status).toBe(0);
  served = await serveE2e(data.dir);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await driver?.close();
  await sim?.stop();
  hook?.closeAllConnections();
  await new Promise((resolve) => (hook ? hook.close(resolve) : resolve(undefined)));
  await stopSharedPostgres();
  data.cleanup();
});

/** Syncs the endpoint from its card and waits for a newer, successful "Last sync". */
async function syncFromUi(page: Page): Promise<void> {
  const endpoints = new EndpointsPage(page);
  await endpoints.open();
  const lastSync = endpoints.cardFact(ENDPOINT, 'Last sync');
  const syncedAt = (): Promise<string | null> =>
    lastSync
      .locator('time')
      .getAttribute('datetime', { timeout: 500 })
      .catch(() => null);
  const before = await syncedAt();
  await endpoints.button(ENDPOINT, 'Sync now').click();
  await expect
    .poll(
      async () => {
        const at = await syncedAt();
        const text = await lastSync.innerText();
        return at !== null && at !== before && /succeeded/.test(text) ? 'synced' : text;
      },
      { timeout: 60_000, interval: 250 },
    )
    .toBe('synced');
}

/** The host's row in the Hosts table, found through the table's search. */
async function hostRow(page: Page, name: string): Promise<Locator> {
  const app = new AppPage(page);
  await app.open('Hosts');
  await app.search().fill(name);
  const row = app.rows('Hosts').filter({ hasText: name });
  await row.first().waitFor();
  return row;
}

/** The open-alert badge of a row ("2 open alerts, highest warning"), or null without one. */
async function badgeOf(row: Locator): Promise<string | null> {
  const badge = new WorkspacePage(row.page()).alertBadge(row);
  return (await badge.count()) === 0 ? null : badge.getAttribute('aria-label');
}

/**
 * The badge once the evaluation after a sync has landed: the sync reports success before the
 * rule engine (queued behind it) has run, so read until three reads in a row agree.
 */
async function settledBadge(row: Locator): Promise<string | null> {
  const reads: (string | null)[] = [];
  await expect
    .poll(
      async () => {
        reads.push(await badgeOf(row));
        return reads.length >= 3 && reads.slice(-3).every((r) => r === reads.at(-1));
      },
      { timeout: 15_000, interval: 400 },
    )
    .toBe(true);
  return reads.at(-1)!;
}

/** What a badge says once an info alert joins the ones it counted: one more, same worst. */
function withOneMoreInfo(label: string | null): string {
  if (label === null) return '1 open alert, info';
  const m = /^(\d+) open alerts?, (?:highest )?(\w+)$/.exec(label)!;
  return `${Number(m[1]) + 1} open alerts, highest ${m[2]}`;
}

describe('a host entering maintenance in vcsim, in Chromium', () => {
  it('raises the alert, badges the host, is acknowledged, reaches a webhook and clears on exit', async () => {
    const { page, errors } = await openApp(browser, served.url);
    const alerts = new AlertsPage(page);

    // A webhook for every severity, and its test button: the result beside it is what the local
    // server answered, and the server holds the test body.
    await alerts.open();
    await alerts.tab('Webhooks');
    await alerts.addWebhook('ops', hookUrl, 'info');
    expect(await alerts.webhookRow('ops').innerText()).toContain(
      `http://127.0.0.1:${new URL(hookUrl).port}`,
    );
    await alerts.webhookButton('Send test to ops').click();
    const result = alerts.testResult('ops');
    await result.filter({ hasText: /^Delivered · HTTP 200 · 1 attempt/ }).waitFor();
    expect(posted).toEqual([
      {
        path: '/hook',
        body: expect.objectContaining({
          source: 'infrascope',
          title: 'Infrascope test',
          alert: null,
        }) as unknown,
      },
    ]);
    await alerts.delivery('ops', 'test').filter({ hasText: 'Delivered · HTTP 200' }).waitFor();
    // Disabled and enabled again in place (the alert below must reach it, so it ends enabled).
    await alerts.webhookButton('Disable ops').click();
    await alerts.webhookText('ops', 'disabled').waitFor();
    await alerts.webhookButton('Enable ops').click();
    await alerts.webhookText('ops', 'disabled').waitFor({ state: 'detached' });

    await syncFromUi(page);
    const hosts = await driver.list('HostSystem');
    const host = hosts.find((h) => h.name.includes('_C0_')) ?? hosts[0]!;
    const ref: MoRef = host.ref;
    const baseline = await settledBadge((await hostRow(page, host.name)).first());
    const MAINT = `Host ${host.name} is in maintenance mode`;

    await enterMaintenance(driver, ref);
    expect(await inMaintenance(driver, ref)).toBe(true);
    await syncFromUi(page);

    // The console lists it as an active info alert on the host.
    await alerts.open();
    const row = alerts.row(MAINT);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.innerText()).toMatch(new RegExp(`info\\s+active\\s+${host.name}`));
    expect(await row.innerText()).toContain(ENDPOINT);

    // The host's row carries one more open alert than before (vcsim's hosts may have others,
    // such as NTP); info never raises the worst severity shown.
    const badgeRow = (await hostRow(page, host.name)).first();
    await expect.poll(() => badgeOf(badgeRow), { timeout: 15_000 }).not.toBe(baseline);
    expect(await badgeOf(badgeRow)).toBe(withOneMoreInfo(baseline));

    // The detail view lists it and opens the console filtered to the host.
    await badgeRow.dblclick();
    const ws = new WorkspacePage(page);
    const openAlerts = ws.panelAlerts(ws.panel(`Host ${host.name}`), host.name);
    await ws.panelText(openAlerts, MAINT).waitFor();
    await ws.panelLink(openAlerts, `Show alerts of ${host.name} in the Alerts console`).click();
    await alerts.app.heading('Alerts').waitFor();
    await alerts.clearEntityFilter(host.name).waitFor();
    await row.waitFor();
    const listed = await alerts.list().innerText();
    // Filtered to the host: every row names it.
    for (const line of listed.split('\n').slice(1).filter(Boolean)) {
      expect(line).toContain(host.name);
    }

    // Acknowledged in the UI with a comment.
    await alerts.acknowledge(MAINT, 'firmware update tonight');
    await row.filter({ hasText: 'acknowledged' }).waitFor();
    const history = await alerts.showHistory(MAINT);
    await alerts.historyFact(history, ': firmware update tonight').waitFor();

    // The webhook received the raised alert: the body names vcsim's host by its managed object id.
    await expect
      .poll(() => posted.map((p) => p.body['alert'] as Record<string, unknown> | null), {
        timeout: 15_000,
      })
      .toContainEqual(
        expect.objectContaining({
          rule: 'host-maintenance',
          severity: 'info',
          entityType: 'host',
          entityId: ref.value,
          entityName: host.name,
          endpoint: ENDPOINT,
        }),
      );
    const raised = posted.find(
      (p) => (p.body['alert'] as { rule?: string } | null)?.rule === 'host-maintenance',
    )!;
    const alertId = (raised.body['alert'] as { id: number }).id;
    expect(raised.path).toBe('/hook');
    await alerts.tab('Webhooks');
    await alerts.delivery('ops', `#${alertId}`).filter({ hasText: 'Delivered' }).waitFor();

    // Out of maintenance in vcsim: the next sync clears it.
    await exitMaintenance(driver, ref);
    expect(await inMaintenance(driver, ref)).toBe(false);
    await syncFromUi(page);
    await alerts.open();
    await alerts.tab('Open');
    await alerts.clearEntityFilter(host.name).click();
    await alerts.row(MAINT).waitFor({ state: 'detached', timeout: 30_000 });
    await alerts.tab('History');
    await alerts.row(MAINT).filter({ hasText: 'cleared' }).waitFor();
    await expect.poll(async () => badgeOf((await hostRow(page, host.name)).first())).toBe(baseline);

    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);
});
