import { execFileSync } from 'node:child_process';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/core.js';
import { createCore } from '../../src/core/core.js';
import { silentLogger } from '../../src/core/logger.js';
import { keyFileVault } from '../../src/core/vault/key-file-vault.js';
import { checkTeamServer, probeTeamServer } from '../../src/main/team-server.js';
import { serializeError } from '../../src/shared/errors.js';
import type { Served } from './fixtures.js';
import { launchBrowser, startServe, tempDataDir } from './fixtures.js';

/*
 * Settings → "Connect to a team server" as the desktop app shows it. Electron cannot run here, so
 * Chromium opens the built renderer with a `window.infrascope` like the preload's: its requests
 * go to a real core as the desktop host, and its team-server actions to main's own probe and
 * check (src/main/team-server.ts) against a real `serve --listen 127.0.0.1:0 --tls-self-signed`.
 */

let browser: Browser;
let team: Served;
let local: Served;
let core: Core;
const coreData = tempDataDir();
const teamData = tempDataDir();
const localData = tempDataDir();
/** What the page asked main to trust, as main checked it. */
const connected: { origin: string; fingerprint256: string }[] = [];

beforeAll(async () => {
  execFileSync(
    process.execPath,
    ['bin/infrascope.mjs', '--data-dir', teamData.dir, 'user', 'add', 'olga', '--role', 'viewer'],
    { input: 'olga-viewer-pass\n', env: { ...process.env, INFRASCOPE_DATA_DIR: teamData.dir } },
  );
  team = await startServe(
    teamData.dir,
    ['--no-sync'],
    ['--listen', '127.0.0.1:0', '--tls-self-signed'],
  );
  // Only the built renderer's files are taken from this one; the page's requests go to `core`.
  local = await startServe(localData.dir, ['--no-sync']);
  // The desktop's core: app:info says "desktop", which is where the section shows.
  core = await createCore({
    dataDir: coreData.dir,
    host: 'desktop',
    vault: keyFileVault(coreData.dir),
    memory: true,
    log: silentLogger(),
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await team?.stop();
  await local?.stop();
  await core?.dispose();
  teamData.cleanup();
  localData.cleanup();
  coreData.cleanup();
});

const reply = async (run: () => Promise<unknown>): Promise<unknown> => {
  try {
    return { ok: true, result: await run() };
  } catch (e) {
    return { ok: false, error: serializeError(e) };
  }
};

async function desktopPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await context.exposeFunction('mainRequest', (channel: string, input: unknown) =>
    core.request(channel, input, { actor: 'desktop:tester', host: 'desktop' }),
  );
  await context.exposeFunction('mainProbe', (url: string) => reply(() => probeTeamServer(url)));
  await context.exposeFunction('mainConnect', (url: string, fingerprint: string) =>
    reply(async () => {
      const c = await checkTeamServer(url, fingerprint);
      connected.push(c);
      return { origin: c.origin };
    }),
  );
  await context.addInitScript(() => {
    const w = window as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const unused = (): Promise<unknown> =>
      Promise.resolve({ ok: false, error: { code: 'INTERNAL', message: 'not in this test' } });
    (window as unknown as { infrascope: unknown }).infrascope = Object.freeze({
      request: (channel: unknown, input: unknown) => w['mainRequest']!(channel, input),
      on: () => () => undefined,
      desktop: Object.freeze({
        importSnapshot: unused,
        saveExport: unused,
        showExportInFolder: unused,
        setStore: unused,
        probeTeamServer: (url: unknown) => w['mainProbe']!(url),
        connectTeamServer: (url: unknown, fp: unknown) => w['mainConnect']!(url, fp),
      }),
    });
  });
  const page = await context.newPage();
  await page.goto(`${local.origin}/#/settings`);
  return { context, page };
}

describe('Settings → Connect to a team server (desktop)', () => {
  it('shows the fingerprint serve printed, refuses a wrong pin, and connects trusting it', async () => {
    const printed = /SHA-256 fingerprint ([0-9A-F:]{95})/.exec(team.output())?.[1];
    expect(printed).toBeDefined();
    const { context, page } = await desktopPage();
    const section = page.getByRole('region', { name: 'Team server' });
    await section.getByLabel('Team server URL').fill(team.origin);
    await section.getByRole('button', { name: 'Check the server' }).click();
    const shown = section.getByLabel('Certificate fingerprint');
    await expect.poll(() => shown.textContent()).toBe(printed);

    // A pin that is not the server's certificate: refused, nothing connected.
    await section.getByRole('radio', { name: /Pin the fingerprint/ }).check();
    await section.getByLabel('Pinned fingerprint').fill(`AA${printed!.slice(2)}`);
    await section.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => section.getByRole('alert').textContent()).toContain('not the');
    expect(connected).toEqual([]);

    // Trust on first use: the fingerprint shown, checked again by main.
    await section.getByRole('radio', { name: /Trust this certificate/ }).check();
    await section.getByRole('button', { name: 'Connect' }).click();
    await expect
      .poll(() => section.getByRole('status').textContent())
      .toBe(`Opening ${team.origin}…`);
    expect(connected).toEqual([{ origin: team.origin, fingerprint256: printed }]);
    await context.close();
  });

  it('says why a server is not a team server', async () => {
    const { context, page } = await desktopPage();
    const section = page.getByRole('region', { name: 'Team server' });
    await section.getByLabel('Team server URL').fill(local.origin);
    await section.getByRole('button', { name: 'Check the server' }).click();
    await expect.poll(() => section.getByRole('alert').textContent()).toContain('https only');
    expect(await section.getByLabel('Certificate fingerprint').count()).toBe(0);
    await context.close();
  });
});
