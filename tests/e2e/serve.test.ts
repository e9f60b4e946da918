import type { Browser } from 'playwright-core';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { STORE_FILE } from '../../src/core/store/sqlite.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { addEndpoint, sampleInventory } from '../helpers/store.js';
import type { Served } from './fixtures.js';
import { launchBrowser, openApp, openE2eStore, serveE2e, tempDataDir } from './fixtures.js';
import { AppPage } from './pages/app-page.js';

// Runs on the team store too: INFRASCOPE_E2E_STORE=postgres (fixtures.ts E2E_ENGINE).

let browser: Browser;
let served: Served;
const data = tempDataDir();

beforeAll(async () => {
  // Seed the store the way a sync would, then serve it.
  const store = await openE2eStore(data.dir);
  const ep = await addEndpoint(store.db, 'vc-lab');
  await writeFullInventory(
    store.db,
    { entities: sampleInventory(40) },
    { endpointId: ep, syncRunId: null, now: new Date() },
  );
  const now = new Date().toISOString();
  await store.db
    .insertInto('sync_run')
    .values({
      endpoint_id: ep,
      mode: 'full',
      status: 'succeeded',
      started_at: now,
      ended_at: now,
      duration_ms: 1234,
      seen: 47,
    })
    .execute();
  await store.db
    .insertInto('audit_log')
    .values({
      at: now,
      actor: 'cli:tester',
      action: 'endpoint.add',
      target: 'vc-lab',
      details: '{}',
    })
    .execute();
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

describe('infrascope serve in Chromium', () => {
  it('shows the app shell and the VMs table from the store', async () => {
    const { page, errors } = await openApp(browser, served.url);
    const app = new AppPage(page);
    // The app renders once its preferences have come from the core (one round trip after load).
    await app.nav('Dashboard').waitFor();
    for (const label of [
      'Dashboard',
      'VMs',
      'Hosts',
      'Clusters',
      'Datastores',
      'Networks',
      'Changes',
      'Alerts',
      'Endpoints',
      'Settings',
    ]) {
      await expect(app.nav(label).isVisible()).resolves.toBe(true);
    }
    await app.open('VMs');
    await page.getByText('40 VMs').waitFor();
    await app.rows('Virtual machines').first().waitFor();
    const first = await app.rows('Virtual machines').first().innerText();
    expect(first).toContain('app-001');
    // The token left the address bar once read.
    expect(page.url()).not.toContain('token=');
    await app.search().fill('app-03');
    await page.getByText('10 of 40 VMs').waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows sync history and the audit log on the Activity page', async () => {
    const page = await browser.newPage();
    await page.goto(served.url);
    const app = new AppPage(page);
    await app.open('Activity');
    await app.rows('Sync history').first().waitFor();
    expect(await app.rows('Sync history').first().innerText()).toMatch(/vc-lab[\s\S]*succeeded/);
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await app.rows('Audit log').first().waitFor();
    expect(await app.rows('Audit log').first().innerText()).toMatch(
      /cli:tester[\s\S]*endpoint\.add/,
    );
    await page.close();
  });

  it('renders inventory text as text, never as HTML', async () => {
    const page = await browser.newPage();
    await page.goto(served.url);
    const app = new AppPage(page);
    await app.open('Hosts');
    await app.rows('Hosts').first().waitFor();
    expect(await page.locator('script:not([src])').count()).toBe(0);
    await page.close();
  });

  it('refuses the API without the token or from another origin', async () => {
    const port = new URL(served.url).port;
    const tryOpen = (url: string, origin: string): Promise<string> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, { headers: { Origin: origin } });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('error', () => resolve('refused'));
      });
    const token = new URL(served.url).searchParams.get('token')!;
    expect(await tryOpen(`ws://127.0.0.1:${port}/api?token=wrong`, served.origin)).toBe('refused');
    expect(await tryOpen(`ws://127.0.0.1:${port}/api?token=${token}`, 'http://evil.example')).toBe(
      'refused',
    );
    expect(await tryOpen(`ws://127.0.0.1:${port}/api?token=${token}`, served.origin)).toBe('open');
  });

  it('answers a bad request over the bridge with a typed error', async () => {
    const ws = new WebSocket(
      served.url.replace('http://', 'ws://').replace('/?token=', '/api?token='),
      {
        headers: { Origin: served.origin },
      },
    );
    await new Promise((r) => ws.once('open', r));
    const reply = await new Promise<unknown>((resolve) => {
      ws.on('message', (m) => resolve(JSON.parse(String(m))));
      ws.send(
        JSON.stringify({ id: 1, channel: 'inventory:query', input: { kind: 'vms', limit: -5 } }),
      );
    });
    ws.close();
    expect(reply).toMatchObject({ id: 1, reply: { ok: false, error: { code: 'VALIDATION' } } });
  });

  it("refuses a path import from the serve page: the contract's host rule, with a typed error", async () => {
    const ws = new WebSocket(
      served.url.replace('http://', 'ws://').replace('/?token=', '/api?token='),
      { headers: { Origin: served.origin } },
    );
    await new Promise((r) => ws.once('open', r));
    const replies = new Map<number, unknown>();
    const ask = (id: number, channel: string, input: unknown): Promise<unknown> =>
      new Promise((resolve) => {
        ws.on('message', (m) => {
          const msg = JSON.parse(String(m)) as { id?: number; reply?: unknown };
          if (msg.id === id) resolve(msg.reply);
        });
        ws.send(JSON.stringify({ id, channel, input }));
      });
    // The store file itself is a file the page could name; it must never be read on its behalf.
    replies.set(1, await ask(1, 'snapshots:import', { file: join(data.dir, STORE_FILE) }));
    replies.set(2, await ask(2, 'snapshots:list', {}));
    ws.close();
    expect(replies.get(1)).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', details: { channel: 'snapshots:import', host: 'serve' } },
    });
    expect(replies.get(2)).toEqual({ ok: true, result: [] });
  });
});
