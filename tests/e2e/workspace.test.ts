import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectedEntity } from '../../src/shared/entities.js';
import { writeFullInventory, writeInventoryDelta } from '../../src/core/inventory/writer.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { addEndpoint, sampleInventory } from '../helpers/store.js';
import type { Served } from './fixtures.js';
import {
  launchBrowser,
  openE2eStore,
  serveE2e,
  tempDataDir,
  writeAsAnotherProcess,
} from './fixtures.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { WorkspacePage } from './pages/workspace-page.js';

/*
 * The inventory workspace end to end: every page, sort, filter, search, details and links, copy,
 * a live update written by another process, and the command palette — one browser page, in order,
 * as an operator would use it. Screenshots of each page go to .tmp/screenshots/.
 */

// Runs on the team store too: INFRASCOPE_E2E_STORE=postgres (fixtures.ts E2E_ENGINE).
let browser: Browser;
let context: BrowserContext;
let page: Page;
let served: Served;
let ws: WorkspacePage;
let dashboard: DashboardPage;
let endpointId: number;
const data = tempDataDir();
const errors: string[] = [];

function extras(): CollectedEntity[] {
  return [
    {
      type: 'vmDisk',
      id: 'vm-5:2000',
      name: 'Hard disk 1',
      fields: {
        vmId: 'vm-5',
        label: 'Hard disk 1',
        capacityBytes: 40 * 2 ** 30,
        thin: true,
        datastoreId: 'datastore-1',
      },
    },
    {
      type: 'vmNic',
      id: 'vm-5:4000',
      name: 'Network adapter 1',
      fields: {
        vmId: 'vm-5',
        label: 'Network adapter 1',
        macAddress: '00:50:56:00:00:05',
        networkId: 'network-1',
        connected: true,
        ipAddresses: ['10.0.0.5'],
      },
    },
    {
      type: 'snapshot',
      id: 'snapshot-5',
      name: 'pre-patch',
      fields: {
        vmId: 'vm-5',
        createdAt: new Date(Date.now() - 40 * 86_400_000).toISOString(),
        isCurrent: true,
      },
    },
    {
      type: 'resourcePool',
      id: 'resgroup-1',
      name: 'Resources',
      fields: { clusterId: 'domain-c1', cpuLimitMhz: -1 },
    },
  ];
}

beforeAll(async () => {
  mkdirSync('.tmp/screenshots', { recursive: true });
  const store = await openE2eStore(data.dir);
  endpointId = await addEndpoint(store.db, 'vc-lab');
  await writeFullInventory(
    store.db,
    { entities: [...sampleInventory(40), ...extras()] },
    { endpointId, syncRunId: null, now: new Date() },
  );
  // A change with a user behind it, for the VM's history.
  await writeInventoryDelta(
    store.db,
    {
      upserts: [
        {
          type: 'vm',
          id: 'vm-5',
          name: 'app-005',
          fields: { memoryMb: 8192, annotation: 'Owner: web team' },
        },
      ],
      removals: [],
      events: [
        {
          key: 'e-1',
          at: new Date().toISOString(),
          eventType: 'VmReconfiguredEvent',
          user: 'VSPHERE.LOCAL\\alice',
          message: 'Reconfigured app-005 on esx1.example.test',
          entityType: 'vm',
          entityId: 'vm-5',
        },
      ],
    },
    { endpointId, syncRunId: null, now: new Date() },
  );
  await store.close();
  served = await serveE2e(data.dir);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.origin });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // Resource failures are checked by URL below (the browser asks for a favicon we do not ship).
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico'))
      errors.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(served.url);
  ws = new WorkspacePage(page);
  dashboard = new DashboardPage(page);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await served?.stop();
  await stopSharedPostgres();
  data.cleanup();
});

describe('the inventory workspace in Chromium', () => {
  it('shows every page, each with its data', async () => {
    const pages: [string, string, string | null][] = [
      ['VMs', 'Virtual machines', 'app-001'],
      ['Hosts', 'Hosts', 'esx1.example.test'],
      ['Clusters', 'Clusters', 'Cluster A'],
      ['Datastores', 'Datastores', 'ds-gold'],
      ['Networks', 'Networks', 'VM Network'],
      ['Resource pools', 'Resource pools', 'Resources'],
      ['Snapshots', 'Snapshots', 'pre-patch'],
      ['Changes', 'Changes', 'app-005'],
      ['Alerts', 'Alerts', null],
      ['Endpoints', 'Endpoints', null],
      ['Settings', 'Settings', null],
      ['Dashboard', 'Dashboard', null],
    ];
    for (const [label, heading, text] of pages) {
      await ws.open(label, heading);
      if (text) await ws.row(heading, text).waitFor();
      await ws.screenshot(label.toLowerCase().replace(/\s+/g, '-'));
    }
  });

  it('sorts, filters and searches the VMs table with counts', async () => {
    await ws.open('VMs', 'Virtual machines');
    await ws.waitForCount('40 VMs');
    await ws.sortBy('Virtual machines', 'Name');
    await ws.sortBy('Virtual machines', 'Name');
    await expect.poll(() => ws.rows('Virtual machines').first().innerText()).toContain('app-040');
    expect(await ws.header('Virtual machines', 'Name').getAttribute('aria-sort')).toBe(
      'descending',
    );
    // Multi-sort: vCPUs first... then name stays as the second key.
    await ws.sortBy('Virtual machines', 'vCPUs', true);
    expect(await ws.header('Virtual machines', 'vCPUs').getAttribute('aria-sort')).toBe(
      'ascending',
    );

    await ws.filterRange('Virtual machines', 'vCPUs', '4');
    await ws.waitForCount('10 of 40 VMs');
    await ws.chip('Off').click();
    await ws.waitForCount('4 of 40 VMs');
    await ws.screenshot('vms-filtered');
    await ws.columnFilter('Virtual machines', 'Memory').click();
    await ws.screenshot('vms-column-filter');
    await page.keyboard.press('Escape');
    await ws.clearFilters().click();
    await ws.waitForCount('40 VMs');
    await ws.columnsButton().click();
    await ws.screenshot('vms-column-chooser');
    await page.keyboard.press('Escape');
    await ws.filterText('Virtual machines', 'IP address', '10.0.0.1');
    await ws.waitForCount('11 of 40 VMs');
    await ws.clearFilters().click();
    await ws.app.search().fill('app-03');
    await ws.waitForCount('10 of 40 VMs');
    await ws.app.search().fill('');
    await ws.waitForCount('40 VMs');
  });

  it('copies selected rows as tab-separated text', async () => {
    await ws.sortBy('Virtual machines', 'Name'); // back to one key: name ascending
    await expect.poll(() => ws.rows('Virtual machines').first().innerText()).toContain('app-001');
    await ws.row('Virtual machines', 'app-001').click();
    await ws.row('Virtual machines', 'app-003').click({ modifiers: ['Shift'] });
    await ws.row('Virtual machines', 'app-003').click({ button: 'right' });
    await ws.rowMenu().waitFor();
    await ws.screenshot('vms-context-menu');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+C');
    await ws.status('Copied 3 rows').waitFor();
    const text = await ws.clipboard();
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]!.split('\t').slice(0, 2)).toEqual(['Name', 'Power state']);
    expect(lines[1]!.split('\t')[0]).toBe('app-001');
    expect(lines[3]!.split('\t')).toContain('10.0.0.3');
  });

  it('is operable from the keyboard: move, extend, open', async () => {
    await ws.row('Virtual machines', 'app-001').click();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    await ws.status('2 selected').waitFor();
    await page.keyboard.press('Enter');
    await ws.panel('Virtual machine app-003').waitFor();
    await page.keyboard.press('Escape');
    await ws.panel().waitFor({ state: 'detached' });
  });

  it('opens a VM’s details and follows a link to its host', async () => {
    await ws.row('Virtual machines', 'app-005').dblclick();
    const vm = ws.panel('Virtual machine app-005');
    await vm.waitFor();
    await ws.panelText(vm, 'Hard disk 1').waitFor();
    await ws.panelText(vm, 'pre-patch').waitFor();
    await ws.panelText(vm, 'VSPHERE.LOCAL\\alice').first().waitFor();
    await ws.panelText(vm, 'memoryMb').waitFor();
    await ws.screenshot('vm-details');
    await ws.panelLink(vm, 'esx1.example.test').first().click();
    const host = ws.panel('Host esx1.example.test');
    await host.waitFor();
    await ws.panelLink(host, 'app-005').waitFor();
    await ws.screenshot('host-details');
    await ws.panelLink(host, 'Back').click();
    await ws.panel('Virtual machine app-005').waitFor();
    await page.keyboard.press('Escape');
    await ws.panel().waitFor({ state: 'detached' });
  });

  it('shows a change written by another process without a reload, keeping the selection', async () => {
    await ws.row('Virtual machines', 'app-002').click();
    await writeAsAnotherProcess(data.dir, async (db) => {
      await writeInventoryDelta(
        db,
        {
          upserts: [
            {
              type: 'vm',
              id: 'vm-4',
              name: 'app-004-renamed',
              fields: { powerState: 'suspended' },
            },
          ],
          removals: [],
        },
        { endpointId, syncRunId: null, now: new Date() },
      );
      return { inventory: { endpointId, types: ['vm'], created: 0, updated: 1, deleted: 0 } };
    });
    await ws.row('Virtual machines', 'app-004-renamed').waitFor({ timeout: 10_000 });
    expect(await ws.row('Virtual machines', 'app-004-renamed').innerText()).toContain('Suspended');
    expect(await ws.row('Virtual machines', 'app-002').getAttribute('aria-selected')).toBe('true');
  });

  it('finds a VM by IP with Ctrl+K and opens it', async () => {
    await page.keyboard.press('Control+K');
    await ws.palette().waitFor();
    await page.keyboard.type('10.0.0.7');
    const first = ws.paletteHits().first();
    await expect.poll(() => first.innerText()).toContain('app-007');
    expect(await first.innerText()).toContain('IP 10.0.0.7');
    await ws.screenshot('palette');
    await page.keyboard.press('Enter');
    await ws.panel('Virtual machine app-007').waitFor();
    await page.keyboard.press('Escape');
  });

  it('opens the table behind a dashboard card, with the same count', async () => {
    await ws.open('Dashboard', 'Dashboard');
    const n = await dashboard.count('Powered-off VMs');
    expect(n).toBeGreaterThan(0);
    await dashboard.regionText('Last sync per endpoint', 'vc-lab').waitFor();
    await dashboard.regionText('Capacity by cluster', 'Cluster A').waitFor();
    await ws.screenshot('dashboard');
    await dashboard.openCard('Powered-off VMs');
    await ws.app.heading('Virtual machines').waitFor();
    await ws.waitForCount(`${n} of 40 VMs`);
    await ws.clearFilters().click();
    await ws.open('Dashboard', 'Dashboard');
    await dashboard.openCard('Hosts in maintenance');
    await ws.app.heading('Hosts').waitFor();
    await ws.waitForCount('0 of 2 hosts');
    await ws.clearFilters().click();
  });

  it('scopes the tables and the dashboard to one endpoint or tag, and filters by a tag chip', async () => {
    // A second endpoint, written by another process: three VMs, one tagged "gold".
    await writeAsAnotherProcess(data.dir, async (db) => {
      const dr = await addEndpoint(db, 'vc-dr');
      const drVms: CollectedEntity[] = [1, 2, 3].map((i) => ({
        type: 'vm',
        id: `vm-dr-${i}`,
        name: `dr-00${i}`,
        fields: {
          powerState: 'poweredOn',
          ipAddress: `10.9.9.${i}`,
          tags: i === 2 ? ['gold'] : [],
        },
      }));
      await writeFullInventory(
        db,
        { entities: drVms },
        { endpointId: dr, syncRunId: null, now: new Date() },
      );
      return {
        endpoints: { ids: [dr] },
        inventory: { endpointId: dr, types: ['vm'], created: 3, updated: 0, deleted: 0 },
      };
    });

    await ws.open('VMs', 'Virtual machines');
    await ws.waitForCount('43 VMs');
    const endpoint = ws.app.scopeEndpoint();
    const tag = ws.app.scopeTag();
    await expect
      .poll(() => ws.app.scopeChoices('endpoint'), { timeout: 10_000 })
      .toContain('vc-dr');
    await endpoint.selectOption('vc-dr');
    await ws.waitForCount('3 VMs');
    expect(await ws.rows('Virtual machines').allInnerTexts()).toHaveLength(3);
    await ws.open('Hosts', 'Hosts');
    await ws.clearScopeInTable().waitFor();
    await ws.screenshot('scope-empty-hosts');
    await ws.open('Dashboard', 'Dashboard');
    await expect.poll(() => dashboard.card('VMs').innerText(), { timeout: 10_000 }).toMatch(/^3\b/);

    await endpoint.selectOption('');
    await expect.poll(() => ws.app.scopeChoices('tag'), { timeout: 10_000 }).toContain('gold');
    await tag.selectOption('gold');
    await expect.poll(() => dashboard.card('VMs').innerText(), { timeout: 10_000 }).toMatch(/^1\b/);
    await ws.open('VMs', 'Virtual machines');
    await ws.waitForCount('1 VM');
    await ws.row('Virtual machines', 'dr-002').waitFor();
    await ws.screenshot('scope-tag');
    // Ctrl+K searches within the scope, unless widened.
    await page.keyboard.press('Control+K');
    await ws.palette().waitFor();
    await page.keyboard.type('dr-00');
    const names = ws.paletteHitNames();
    await expect.poll(() => names.allInnerTexts(), { timeout: 10_000 }).toEqual(['dr-002']);
    await ws.paletteScopeOnly(/Only in the scope tag gold/).uncheck();
    await expect
      .poll(() => names.allInnerTexts(), { timeout: 10_000 })
      .toEqual(['dr-001', 'dr-002', 'dr-003']);
    await page.keyboard.press('Escape');
    await ws.open('Alerts', 'Alerts');
    await ws.app.scopeNote('Scope: tag gold').waitFor();
    await ws.open('VMs', 'Virtual machines');
    await ws.app.clearScope();
    await ws.waitForCount('43 VMs');

    // The same tag as a quick filter of the table.
    await ws.quickSelect('Tag').selectOption('gold');
    await ws.waitForCount('1 of 43 VMs');
    await ws.clearFilters().click();
    await ws.waitForCount('43 VMs');
  });

  it('lists the shortcuts on "?" and reports no errors', async () => {
    await ws.app.clickBackground();
    await page.keyboard.press('?');
    await ws.app.shortcutsHelp().waitFor();
    await ws.screenshot('shortcuts');
    await page.keyboard.press('Escape');
    await ws.app.setTheme('dark');
    await ws.open('Hosts', 'Hosts');
    await ws.row('Hosts', 'esx1.example.test').dblclick();
    await ws.panel('Host esx1.example.test').waitFor();
    await ws.screenshot('hosts-dark');
    expect(await ws.app.theme()).toBe('dark');
    expect(errors).toEqual([]);
  });
});
