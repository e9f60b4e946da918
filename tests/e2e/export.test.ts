import { existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { addEndpoint, sampleInventory } from '../helpers/store.js';
import type { Served } from './fixtures.js';
import { launchBrowser, openE2eStore, serveE2e, tempDataDir } from './fixtures.js';
import { ExportPage } from './pages/export-page.js';

// Runs on the team store too: INFRASCOPE_E2E_STORE=postgres (fixtures.ts E2E_ENGINE).
let browser: Browser;
let served: Served;
let endpointId: number;
const data = tempDataDir();

/** Writes the sample inventory into the store as a sync would, with VM names changed by `rename`. */
async function writeInventory(rename: Readonly<Record<string, string>> = {}): Promise<void> {
  const store = await openE2eStore(data.dir);
  try {
    endpointId ??= await addEndpoint(store.db, 'vc-lab');
    const entities = sampleInventory(40).map((e) =>
      e.type === 'vm' && rename[e.id] ? { ...e, name: rename[e.id]! } : e,
    );
    await writeFullInventory(
      store.db,
      { entities },
      { endpointId, syncRunId: null, now: new Date() },
    );
  } finally {
    await store.close();
  }
}

async function firstBytes(file: string, n: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    await handle.read(buf, 0, n, 0);
    return buf.toString('latin1');
  } finally {
    await handle.close();
  }
}

beforeAll(async () => {
  await writeInventory();
  served = await serveE2e(data.dir);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await stopSharedPostgres();
  data.cleanup();
});

describe('export and history in Chromium', () => {
  it('exports to XLSX into the exports folder and downloads it: the page names a file, never a path', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(served.url);
    const ui = new ExportPage(page);
    await ui.openDialog();
    await expect(ui.format(/Excel/).isChecked()).resolves.toBe(true);
    await expect
      .poll(() => ui.fileName().inputValue())
      .toMatch(/^infrascope-all-\d{8}-\d{6}\.xlsx$/);
    await ui.startButton().click();
    await ui.writtenFile().waitFor();
    const file = await ui.writtenFile().innerText();
    expect(dirname(file)).toBe(join(data.dir, 'exports'));
    expect(await firstBytes(file, 2)).toBe('PK');
    // "Show in folder" is the desktop's (main shows the file); serve offers a download.
    await expect(ui.dialog().getByRole('button', { name: 'Show in folder' }).count()).resolves.toBe(
      0,
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      ui.downloadButton().click(),
    ]);
    expect(download.suggestedFilename()).toBe(basename(file));
    const fetched = await download.path();
    expect(readFileSync(fetched).equals(readFileSync(file))).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows the core's message when the name is a path, and writes nothing", async () => {
    const page = await browser.newPage();
    await page.goto(served.url);
    const ui = new ExportPage(page);
    await ui.openDialog();
    await ui.format(/CSV/).check();
    const target = join(data.dir, 'page-chose-this.zip');
    await ui.fileName().fill(target);
    await ui.startButton().click();
    await expect(ui.dialog().getByRole('alert').innerText()).resolves.toContain(
      'a file name, without a folder',
    );
    expect(existsSync(target)).toBe(false);
    await page.close();
  });

  it('saves a snapshot and lists a rename in the diff against now', async () => {
    const page = await browser.newPage();
    await page.goto(served.url);
    const ui = new ExportPage(page);
    await ui.openHistory();
    await ui.saveSnapshot('baseline');

    // Another writer (a sync, the CLI) changes the store under the running serve.
    await writeInventory({ 'vm-5': 'app-005-renamed' });

    await ui.compare('baseline', 'now');
    await expect(ui.summaryRow('VMs').innerText()).resolves.toMatch(/VMs\s+0\s+0\s+1/);
    const row = ui.changes().filter({ hasText: 'app-005-renamed' });
    await expect(row.count()).resolves.toBe(1);
    await expect(ui.changes().count()).resolves.toBe(1);
    const text = await row.innerText();
    expect(text).toContain('name');
    expect(text).toContain('app-005 → app-005-renamed');

    await ui.changeFilter().fill('nothing-matches-this');
    await expect.poll(() => ui.changes().count()).toBe(0);
    await ui.changeFilter().fill('renamed');
    await expect.poll(() => ui.changes().count()).toBe(1);

    // Delete asks first, then the snapshot is gone.
    await ui.snapshotTable().getByRole('button', { name: 'Delete baseline' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete snapshot' });
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByText('No snapshots yet').waitFor();
    await page.close();
  });
});
