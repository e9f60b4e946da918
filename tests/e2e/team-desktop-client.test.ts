import { execFileSync } from 'node:child_process';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeTeamServer } from '../../src/main/team-server.js';
import type { Served } from './fixtures.js';
import { launchBrowser, startServe, tempDataDir } from './fixtures.js';

/*
 * The desktop app's window on a team server shows the server's own page; its preload adds only
 * `window.infrascopeTeam` (src/preload/team.ts). Electron cannot run here, so Chromium opens the
 * page of a real `serve --listen 127.0.0.1:0 --tls-self-signed` with that bridge put in place
 * before the page's scripts: the page must say which server this is, who is signed in, and give
 * the one click back to the local store — at the sign-in page and after it. The fingerprint
 * serve printed is the one the desktop's probe shows for trust on first use.
 */

let browser: Browser;
let served: Served;
const data = tempDataDir();
const PASSWORD = 'olga-operator-pass';

beforeAll(async () => {
  execFileSync(
    process.execPath,
    ['bin/infrascope.mjs', '--data-dir', data.dir, 'user', 'add', 'olga', '--role', 'operator'],
    { input: `${PASSWORD}\n`, env: { ...process.env, INFRASCOPE_DATA_DIR: data.dir } },
  );
  served = await startServe(
    data.dir,
    ['--no-sync'],
    ['--listen', '127.0.0.1:0', '--tls-self-signed'],
  );
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  data.cleanup();
});

/** A page as the desktop's team window has it: the bridge counts the clicks on the way back. */
async function desktopTeamPage(): Promise<{ context: BrowserContext; page: Page }> {
  // Chromium here has no pin; the desktop's window pins (team-client.test.ts covers that).
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  await context.addInitScript(() => {
    const w = window as unknown as {
      infrascopeTeam: unknown;
      left: number;
      menu: (command: string) => void;
    };
    w.left = 0;
    const listeners = new Set<(command: string) => void>();
    // What main does for a menu item: send the command to the page's bridge.
    w.menu = (command) => listeners.forEach((l) => l(command));
    w.infrascopeTeam = Object.freeze({
      leave: () => {
        w.left += 1;
        return Promise.resolve();
      },
      onCommand: (listener: (command: string) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
  });
  const page = await context.newPage();
  await page.goto(served.url);
  return { context, page };
}

describe('the desktop app on a team server', () => {
  it('shows for trust on first use the fingerprint serve printed', async () => {
    const printed = /SHA-256 fingerprint ([0-9A-F:]{95})/.exec(served.output())?.[1];
    expect(printed).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const probe = await probeTeamServer(served.origin);
    expect(probe.fingerprint256).toBe(printed);
  });

  it('names the server and gives the way back at sign-in and after it', async () => {
    const { context, page } = await desktopTeamPage();
    const host = new URL(served.origin).host;
    const signIn = page.getByRole('form', { name: 'Sign in' });
    await expect.poll(() => signIn.getByText(`Team server ${host}`).count()).toBe(1);
    await expect
      .poll(() => signIn.getByRole('button', { name: 'Use local store' }).count())
      .toBe(1);

    await page.getByLabel('Account').fill('olga');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const bar = page.getByRole('region', { name: 'Signed-in account' });
    await expect.poll(() => bar.textContent()).toContain(host);
    expect(await bar.textContent()).toContain('olga · operator');
    // The desktop menu's File → Settings reaches the server's page through the bridge.
    await page.evaluate(() =>
      (window as unknown as { menu: (c: string) => void }).menu('settings'),
    );
    await expect
      .poll(() => page.getByRole('heading', { name: 'Settings', level: 1 }).count())
      .toBe(1);
    await bar.getByRole('button', { name: 'Use local store' }).click();
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { left: number }).left))
      .toBe(1);
    await context.close();
  });

  it('a browser (no desktop bridge) gets no such button', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(served.url);
    await expect.poll(() => page.getByRole('form', { name: 'Sign in' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Use local store' }).count()).toBe(0);
    await context.close();
  });
});
