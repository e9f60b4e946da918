import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { readWithPyvmomi } from '../helpers/python-readers.js';
import { testStoreLocation } from '../helpers/store.js';
import { endpointAddArgs, startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import type { Served } from './fixtures.js';
import { launchBrowser, openApp, startServe, tempDataDir } from './fixtures.js';
import { AppPage } from './pages/app-page.js';

/*
 * Issue 16, "a sync in one is seen live by a serve page of the other": two machines on one team
 * store (a throwaway PostgreSQL cluster). A runs `serve` (no key, no syncs of its own) with a page
 * on the VMs; B, a separate data directory and process, runs `infrascope sync` against vcsim with
 * the team key. The page shows B's VMs without a reload, and it never polled for them: on a team
 * store the page relies on the events the store pushes (LISTEN/NOTIFY), so without them it would
 * stay empty.
 */

const TEAM_KEY = randomBytes(32).toString('base64');

let sim: Vcsim;
let url: string;
let served: Served;
let browser: Browser;
const a = tempDataDir();
const b = tempDataDir();

/** Machine B's CLI on the team store, with the team key and vcsim's password in its environment. */
function cliB(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(
    process.execPath,
    ['bin/infrascope.mjs', '--data-dir', b.dir, '--store', url, ...args],
    {
      env: { ...process.env, SIM_PW: sim.password, INFRASCOPE_STORE_KEY: TEAM_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

/** The channels of the requests `page` sends over its WebSocket, in order. */
function requestsOf(page: Page): string[] {
  const sent: string[] = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', ({ payload }) => {
      const { channel } = JSON.parse(String(payload)) as { channel?: string };
      if (channel) sent.push(channel);
    }),
  );
  return sent;
}

beforeAll(async () => {
  sim = await startVcsim();
  url = (await testStoreLocation('postgres'))!;
  const added = await cliB(endpointAddArgs(sim, 'vcsim', 'SIM_PW'));
  expect(added.code, added.out).toBe(0);
  // A holds no key: it reads and serves the team's inventory, and syncs nothing itself.
  served = await startServe(a.dir, ['--no-sync'], undefined, { store: url });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await sim?.stop();
  await stopSharedPostgres();
  a.cleanup();
  b.cleanup();
});

describe('a team store seen from two machines', () => {
  it("shows another process's sync on an open page as it lands, pushed by the store, never polled", async () => {
    let sent: string[] = [];
    const { page, errors } = await openApp(browser, served.url, (p) => (sent = requestsOf(p)));
    const app = new AppPage(page);
    await app.open('VMs');
    await expect.poll(() => app.rowCount().innerText()).toMatch(/^0 VMs/);
    // Several heartbeats: the page has settled into how it follows the store.
    await expect
      .poll(() => sent.filter((c) => c === 'app:storeStatus').length, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(3);

    const synced = await cliB(['sync', 'vcsim']);
    expect(synced.code, synced.out).toBe(0);

    // vcsim's own account of its VMs (pyVmomi), not what B reported.
    const py = await readWithPyvmomi(sim, { VirtualMachine: ['name'] });
    const vms = (py.objects['VirtualMachine'] ?? []).map((v) => String(v.props['name'])).sort();
    expect(vms.length).toBeGreaterThan(0);
    await expect
      .poll(() => app.rowCount().innerText(), { timeout: 30_000 })
      .toMatch(new RegExp(`^${vms.length} VMs`));
    const shown = (await app.rows('Virtual machines').allInnerTexts()).map(
      (row) => vms.find((name) => row.includes(name)) ?? row,
    );
    expect(shown.sort()).toEqual(vms);
    // Nothing asked the store whether it changed: the event did it.
    expect(sent).not.toContain('inventory:version');
    expect(errors).toEqual([]);
    await page.close();
  });
});
