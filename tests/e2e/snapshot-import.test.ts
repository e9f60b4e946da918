import { describe, expect, it } from 'vitest';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { sheetJsWorkbook } from '../export/fixtures.js';
import { addEndpoint, sampleInventory } from '../helpers/store.js';
import { openE2eStore, servedSession } from './fixtures.js';
import { ExportPage } from './pages/export-page.js';

const LIVE_VMS = 40;

// Runs on the team store too: INFRASCOPE_E2E_STORE=postgres (fixtures.ts E2E_ENGINE).

/*
 * The workbook (written by SheetJS, not our writer) names the live vCenter (`vc-lab`, host
 * vc-lab.example.test, see tests/helpers/store.ts) and two of its VMs by id: app-001 as it is
 * live (2 CPUs, 1 GiB, on), app-002 powered off (live: on); and a VM the live side lacks.
 */
const WORKBOOK = sheetJsWorkbook({
  vInfo: [
    ['VM', 'Powerstate', 'CPUs', 'Memory', 'VM ID', 'VI SDK Server'],
    ['app-001', 'poweredOn', 2, 1024, 'vm-1', 'vc-lab.example.test'],
    ['app-002', 'poweredOff', 3, 2048, 'vm-2', 'vc-lab.example.test'],
    ['offsite-db', 'poweredOn', 8, 65536, 'vm-900', 'vc-lab.example.test'],
  ],
});

const session = servedSession(async (dir) => {
  const store = await openE2eStore(dir);
  try {
    const endpointId = await addEndpoint(store.db, 'vc-lab');
    await writeFullInventory(
      store.db,
      { entities: sampleInventory(LIVE_VMS) },
      { endpointId, syncRunId: null, now: new Date() },
    );
  } finally {
    await store.close();
  }
});

describe('import, browse and diff a snapshot in Chromium (serve)', () => {
  it('imports an RVTools workbook by upload, browses its VMs and diffs it against now', async () => {
    const { browser, served } = session;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(served.url);
    const ui = new ExportPage(page);
    await ui.openHistory();

    // A file that is neither a workbook nor a JSON snapshot: a clear error, nothing listed.
    await ui.importFile('notes.xlsx', Buffer.from('these are not the bytes of a workbook'));
    await expect(page.getByRole('alert').innerText()).resolves.toContain(
      'notes.xlsx is neither an RVTools workbook',
    );
    await page.getByText('No snapshots yet').waitFor();

    await ui.importFile('RVTools_offsite.xlsx', WORKBOOK);
    await ui
      .snapshotTable()
      .getByRole('cell', { name: /^RVTools_offsite\.xlsx/ })
      .waitFor();
    await expect(ui.snapshotTable().locator('tbody tr').count()).resolves.toBe(1);
    await expect(ui.snapshotTable().locator('tbody tr').innerText()).resolves.toContain('imported');

    await ui.browse('RVTools_offsite.xlsx');
    await expect.poll(() => ui.browserCount().innerText()).toBe('1–3 of 3');
    await ui.browserSearch().fill('OFFSITE');
    await expect.poll(() => ui.browserRows().count()).toBe(1);
    const cells = await ui.browserRows().first().locator('td').allInnerTexts();
    // Name, endpoint, then the workbook's fields in the reader's order: power state, CPUs, memory.
    expect(cells).toEqual(['offsite-db', 'vc-lab.example.test', 'poweredOn', '8', '65536']);
    await ui.browserSearch().fill('');
    await expect.poll(() => ui.browserRows().count()).toBe(3);
    // Sorting by CPUs, descending on the second click.
    await ui.browser().getByRole('button', { name: 'Sort by CPU count' }).click();
    await ui.browser().getByRole('button', { name: 'Sort by CPU count' }).click();
    await expect
      .poll(() => ui.browserRows().locator('td:first-child').allInnerTexts())
      .toEqual(['offsite-db', 'app-002', 'app-001']);

    await ui.compare('RVTools_offsite.xlsx', 'now');
    // 40 live VMs: 38 the workbook does not list are added, offsite-db is removed, and app-002
    // changed its power state only (live it has 3 CPUs and 2048 MB too).
    await expect(ui.summaryRow('VMs').innerText()).resolves.toMatch(/VMs\s+38\s+1\s+1/);
    await ui.changeFilter().fill('app-002');
    await expect.poll(() => ui.changes().count()).toBe(1);
    const text = await ui.changes().first().innerText();
    expect(text).toContain('powerState');
    expect(text).toContain('poweredOff → poweredOn');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the import’s real progress and cancels it, saving nothing', async () => {
    const { browser, served } = session;
    // Big enough that reading and saving take seconds here: time to see progress and cancel.
    const N = 100_000;
    // Deflated as Excel writes it: stored, it is 25 MB, which Playwright's file upload could not
    // hand to the page within its 30 s on a loaded machine.
    const big = sheetJsWorkbook(
      {
        vInfo: [
          ['VM', 'Powerstate', 'CPUs', 'Memory', 'VM ID', 'VI SDK Server'],
          ...Array.from({ length: N }, (_, i) => [
            `bulk-${i}`,
            'poweredOn',
            2,
            4096,
            `vm-b${i}`,
            'bulk.example.test',
          ]),
        ],
      },
      { compression: true },
    );
    const page = await browser.newPage();
    await page.goto(served.url);
    const ui = new ExportPage(page);
    await ui.openHistory();
    await ui.snapshotTable().waitFor();
    const before = await ui.snapshotTable().locator('tbody tr').count();
    await ui.importFile('RVTools_bulk.xlsx', big);
    const phase = page.locator('.import-progress .import-phase');
    // Real counts: rows read (or entities saved) so far, more than none and at most the file's.
    const counted = async (): Promise<number> => {
      const m = /^(?:Reading vInfo: ([\d,]+) rows|Saving: ([\d,]+) of [\d,]+ entities)$/.exec(
        await phase.innerText({ timeout: 1000 }).catch(() => ''),
      );
      return m ? Number((m[1] ?? m[2])!.replace(/,/g, '')) : 0;
    };
    await expect.poll(counted, { timeout: 20_000, interval: 50 }).toBeGreaterThan(0);
    expect(await counted()).toBeLessThanOrEqual(N + 1);
    await page.getByRole('button', { name: 'Cancel the import of RVTools_bulk.xlsx' }).click();
    await page.getByText('Import cancelled; nothing was saved.').waitFor({ timeout: 20_000 });
    await expect(ui.snapshotTable().locator('tbody tr').count()).resolves.toBe(before);
    await page.close();
  });

  it('refuses uploads without the token, from another origin or of another type; garbage gets IMPORT_INVALID', async () => {
    const { browser, served } = session;
    const url = `${served.origin}/api/snapshots/import`;
    const token = new URL(served.url).searchParams.get('token')!;
    const post = (headers: Record<string, string>): Promise<Response> =>
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', ...headers },
        body: new Uint8Array(WORKBOOK),
      });
    const noToken = await post({ Origin: served.origin });
    expect(noToken.status).toBe(403);
    const elsewhere = await post({ Origin: 'http://evil.example', 'X-Infrascope-Token': token });
    expect(elsewhere.status).toBe(403);
    const wrongType = await fetch(url, {
      method: 'POST',
      headers: { Origin: served.origin, 'X-Infrascope-Token': token, 'Content-Type': 'text/plain' },
      body: 'x',
    });
    expect(wrongType.status).toBe(400);
    const get = await fetch(url, { headers: { 'X-Infrascope-Token': token } });
    expect(get.status).toBe(403);
    const garbage = await fetch(url, {
      method: 'POST',
      headers: {
        Origin: served.origin,
        'X-Infrascope-Token': token,
        'X-Infrascope-Filename': encodeURIComponent('half.xlsx'),
        'Content-Type': 'application/octet-stream',
      },
      body: new Uint8Array(WORKBOOK.subarray(0, 200)),
    });
    expect(garbage.status).toBe(422);
    await expect(garbage.json()).resolves.toMatchObject({
      ok: false,
      error: { code: 'IMPORT_INVALID', details: { reason: 'unreadable' } },
    });
    // None of them created a snapshot: the list still holds only the one imported above.
    const page = await browser.newPage();
    await page.goto(served.url);
    const ui = new ExportPage(page);
    await ui.openHistory();
    await ui.snapshotTable().waitFor();
    await expect(ui.snapshotTable().locator('tbody tr').count()).resolves.toBe(1);
    await page.close();
  });
});
