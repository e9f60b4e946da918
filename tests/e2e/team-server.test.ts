import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { STORE_FILE, openStore } from '../../src/core/store/sqlite.js';
import { makeSelfSigned } from '../doubles/self-signed.js';
import { addEndpoint, sampleInventory } from '../helpers/store.js';
import type { Served } from './fixtures.js';
import { launchBrowser, startServe, tempDataDir } from './fixtures.js';
import { AppPage } from './pages/app-page.js';
import { EndpointsPage } from './pages/endpoints-page.js';
import { ExportPage } from './pages/export-page.js';
import { UsersPage } from './pages/users-page.js';
import { sheetJsWorkbook } from '../export/fixtures.js';

/*
 * Issue 17: serve as a team server on 127.0.0.1 over TLS (a certificate made here), with
 * accounts made by the CLI. Two people in two browser contexts, a brute force, a foreign page
 * and a script with an API token.
 */

let browser: Browser;
let served: Served;
let viewerToken = '';
const data = tempDataDir();
const cert = makeSelfSigned('localhost');
const PASSWORDS = {
  vera: 'vera-viewer-pass',
  adam: 'adam-admin-pass',
  lou: 'lou-locked-pass',
  // Made by adam on the Users page, not by the CLI.
  olive: 'olive-operator-pass',
};

/** The CLI, as an admin at the server runs it; the password goes in on stdin, never argv. */
function cli(args: string[], stdin = ''): string {
  return execFileSync(process.execPath, ['bin/infrascope.mjs', '--data-dir', data.dir, ...args], {
    input: stdin,
    encoding: 'utf8',
    env: { ...process.env, INFRASCOPE_DATA_DIR: data.dir },
  });
}

beforeAll(async () => {
  const store = await openStore({ file: join(data.dir, STORE_FILE) });
  const ep = await addEndpoint(store.db, 'vc-lab');
  await writeFullInventory(
    store.db,
    { entities: sampleInventory(12) },
    { endpointId: ep, syncRunId: null, now: new Date() },
  );
  await store.close();
  cli(['user', 'add', 'vera', '--role', 'viewer'], `${PASSWORDS.vera}\n`);
  cli(['user', 'add', 'adam', '--role', 'admin'], `${PASSWORDS.adam}\n`);
  cli(['user', 'add', 'lou', '--role', 'operator'], `${PASSWORDS.lou}\n`);
  viewerToken = cli(['token', 'create', 'ci-reader', '--role', 'viewer', '--expires', '1d']).trim();
  writeFileSync(join(data.dir, 'test-cert.pem'), cert.cert);
  writeFileSync(join(data.dir, 'test-key.pem'), cert.key, { mode: 0o600 });
  served = await startServe(
    data.dir,
    ['--no-sync'],
    [
      '--listen',
      '127.0.0.1:0',
      '--tls-cert',
      join(data.dir, 'test-cert.pem'),
      '--tls-key',
      join(data.dir, 'test-key.pem'),
    ],
  );
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  data.cleanup();
});

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTPS request trusting only the test's certificate. */
function https(
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, served.origin),
      { method, ca: cert.cert, headers: { 'Content-Type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const login = (username: string, password: string, origin = served.origin): Promise<HttpReply> =>
  https('POST', '/auth/login', { username, password }, { Origin: origin });

/** A WebSocket to /api from Node, trusting the test's certificate. */
function openSocket(headers: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(`${served.origin.replace('https://', 'wss://')}/api`, {
    ca: cert.cert,
    headers,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

let nextId = 1;
function ask(
  ws: WebSocket,
  channel: string,
  input: unknown,
): Promise<{ ok: boolean; result?: unknown; error?: { code: string } }> {
  const id = nextId++;
  return new Promise((resolve) => {
    const onMessage = (m: Buffer): void => {
      const msg = JSON.parse(String(m)) as {
        id?: number;
        reply?: { ok: boolean; error?: { code: string } };
      };
      if (msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg.reply!);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, channel, input }));
  });
}

async function signInPage(
  name: keyof typeof PASSWORDS,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.origin);
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('Account').fill(name);
  await form.getByLabel('Password').fill(PASSWORDS[name]);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return { context, page, errors };
}

/** The page's own WebSocket request (its session cookie and origin), as a script on the page would. */
function askFromPage(
  page: Page,
  channel: string,
  input: unknown,
): Promise<{ ok: boolean; error?: { code: string } }> {
  return page.evaluate(
    ([c, i]) =>
      new Promise<{ ok: boolean; error?: { code: string } }>((resolve, reject) => {
        const ws = new window.WebSocket(`wss://${location.host}/api`);
        ws.onerror = () => reject(new Error('socket refused'));
        ws.onopen = () => ws.send(JSON.stringify({ id: 7, channel: c, input: i }));
        ws.onmessage = (m: MessageEvent<string>) => {
          const msg = JSON.parse(m.data) as {
            id?: number;
            reply?: { ok: boolean; error?: { code: string } };
          };
          if (msg.id === 7) {
            ws.close();
            resolve(msg.reply!);
          }
        };
      }),
    [channel, input] as const,
  );
}

describe('a team server over TLS', () => {
  it('prints an https URL without a token and sends the security headers', async () => {
    expect(served.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await https('GET', '/', undefined);
    expect(page.status).toBe(200);
    expect(page.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await https('GET', '/auth/session', undefined)).status).toBe(401);
  });

  it('lets a viewer sign in and see inventory, hides Add endpoint, and the server refuses it', async () => {
    const { context, page, errors } = await signInPage('vera');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'infrascope_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    const app = new AppPage(page);
    await app.open('VMs');
    await app.rows('Virtual machines').first().waitFor();
    expect(await app.rows('Virtual machines').count()).toBeGreaterThan(0);
    expect(await page.getByRole('region', { name: 'Signed-in account' }).innerText()).toContain(
      'vera · viewer',
    );

    const endpoints = new EndpointsPage(page);
    await endpoints.open();
    await endpoints.card('vc-lab').waitFor();
    expect(await endpoints.addButton().count()).toBe(0);
    expect(await endpoints.button('vc-lab', 'Delete').count()).toBe(0);

    const refused = await askFromPage(page, 'endpoints:add', {
      name: 'sneaky',
      kind: 'vcenter',
      host: '10.0.0.1',
      port: 443,
      username: 'x',
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('lets an admin add an endpoint, and the audit names both people', async () => {
    const { context, page, errors } = await signInPage('adam');
    const endpoints = new EndpointsPage(page);
    await endpoints.open();
    await endpoints.add({
      name: 'vc-team',
      type: 'vcenter',
      host: '192.0.2.10',
      port: '443',
      username: 'reader@vsphere.local',
    });
    await endpoints.card('vc-team').waitFor();

    const audit = await page.evaluate(
      () =>
        new Promise<{ rows: Record<string, unknown>[] }>((resolve) => {
          const ws = new window.WebSocket(`wss://${location.host}/api`);
          ws.onopen = () =>
            ws.send(
              JSON.stringify({
                id: 1,
                channel: 'inventory:query',
                input: { kind: 'audit', limit: 200 },
              }),
            );
          ws.onmessage = (m: MessageEvent<string>) => {
            const msg = JSON.parse(m.data) as {
              id?: number;
              reply?: { result: { rows: Record<string, unknown>[] } };
            };
            if (msg.id === 1) resolve(msg.reply!.result);
          };
        }),
    );
    const lines = audit.rows.map((r) => `${String(r['actor'])} ${String(r['action'])}`);
    expect(lines).toContain('vera@127.0.0.1 auth.login');
    expect(lines).toContain('vera@127.0.0.1 endpoints:add');
    expect(lines).toContain('adam@127.0.0.1 endpoint.add');
    expect(lines).toContain('adam@127.0.0.1 auth.login');
    const veraAdd = audit.rows.find(
      (r) => r['actor'] === 'vera@127.0.0.1' && r['action'] === 'endpoints:add',
    );
    expect(String(veraAdd?.['details'])).toContain('FORBIDDEN');

    // The Activity page filters the audit log by user.
    const app = new AppPage(page);
    await app.open('Activity');
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.getByLabel('Filter by user').fill('vera');
    const table = app.table('Audit log');
    await table.getByText('vera@127.0.0.1').first().waitFor();
    await page.waitForFunction(() => !document.body.innerText.includes('adam@127.0.0.1'));
    expect(await table.innerText()).not.toContain('adam@');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('locks an account after five wrong passwords: the sixth try, right, is refused', async () => {
    const replies: HttpReply[] = [];
    for (let i = 0; i < 5; i++) replies.push(await login('lou', `wrong-${i}-password`));
    expect(replies.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    const unknown = await login('nobody-here', 'some-password');
    // Unknown name and wrong password: one answer.
    expect(unknown.status).toBe(401);
    expect(JSON.parse(unknown.body)).toEqual(JSON.parse(replies[0]!.body));
    expect(JSON.parse(replies[0]!.body)).toMatchObject({ code: 'AUTH_FAILED' });
    const sixth = await login('lou', PASSWORDS.lou);
    expect(sixth.status).toBe(423);
    expect(JSON.parse(sixth.body)).toMatchObject({ code: 'AUTH_LOCKED' });
    expect(sixth.headers['set-cookie']).toBeUndefined();
    // An admin lifts it.
    cli(['user', 'unlock', 'lou']);
    expect((await login('lou', PASSWORDS.lou)).status).toBe(200);
  });

  it('refuses a foreign Origin on sign-in and on the WebSocket, even with a valid session', async () => {
    expect((await login('vera', PASSWORDS.vera, 'https://evil.example')).status).toBe(403);
    const ok = await login('vera', PASSWORDS.vera);
    expect(ok.status).toBe(200);
    const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
    expect(JSON.parse(ok.body)).toEqual({ account: { name: 'vera', role: 'viewer' } });
    await expect(openSocket({ Cookie: cookie, Origin: 'https://evil.example' })).rejects.toThrow(
      'HTTP 403',
    );
    // A browser's request always has an Origin; a cookie alone without one is not enough.
    await expect(openSocket({ Cookie: cookie })).rejects.toThrow('HTTP 403');
    const ws = await openSocket({ Cookie: cookie, Origin: served.origin });
    expect(await ask(ws, 'app:info', {})).toMatchObject({ ok: true });
    ws.close();
  });

  it('lets an API token with the viewer role query but not sync', async () => {
    expect(viewerToken).toMatch(/^isk_/);
    const ws = await openSocket({ Authorization: `Bearer ${viewerToken}` });
    const query = await ask(ws, 'inventory:query', { kind: 'vms', limit: 5 });
    expect(query.ok).toBe(true);
    expect((query.result as { rows: unknown[] }).rows.length).toBeGreaterThan(0);
    expect(await ask(ws, 'sync:start', {})).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    ws.close();
    await expect(openSocket({ Authorization: 'Bearer isk_not-a-real-token' })).rejects.toThrow(
      'HTTP 401',
    );
  });

  it('lets an admin add an account on the Users page, which then signs in with its role', async () => {
    const admin = await signInPage('adam');
    const users = new UsersPage(admin.page);
    await users.open();
    // Accounts the CLI made are listed with their role and state; adam's sign-ins show.
    expect(await users.row('vera').innerText()).toContain('active');
    expect(await users.row('adam').innerText()).not.toContain('never');
    await users.add('olive', 'operator', PASSWORDS.olive);
    expect(await users.row('olive').getByLabel('Role of olive').inputValue()).toBe('operator');
    expect(await users.row('olive').innerText()).toContain('never');
    // A weak password is refused with the core's typed message, adding nobody.
    const form = admin.page.getByRole('form', { name: 'Add an account' });
    await form.getByLabel('Account name').fill('weak');
    await form.getByLabel('Initial password').fill('short');
    await form.getByRole('button', { name: 'Add account' }).click();
    await expect(form.getByRole('alert').innerText()).resolves.toContain('A password has 10');
    expect(await users.row('weak').count()).toBe(0);

    const olive = await signInPage('olive');
    expect(
      await olive.page.getByRole('region', { name: 'Signed-in account' }).innerText(),
    ).toContain('olive · operator');
    // An operator: no Users page, but snapshots and exports.
    const app = new AppPage(olive.page);
    expect(await app.nav('Users').count()).toBe(0);
    expect(await olive.page.getByRole('button', { name: 'Export…' }).count()).toBe(1);
    expect(admin.errors).toEqual([]);
    expect(olive.errors).toEqual([]);
    await olive.context.close();
    await admin.context.close();
  });

  it("shows a viewer no admin's or operator's actions in Settings, Alerts and History", async () => {
    const { context, page, errors } = await signInPage('vera');
    const app = new AppPage(page);
    expect(await app.nav('Users').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Export…' }).count()).toBe(0);

    await app.open('Settings');
    const schedules = app.region('Scheduled exports and snapshots');
    await schedules.getByText('Only an admin changes the schedules.').waitFor();
    expect(await schedules.getByLabel('Folder').isDisabled()).toBe(true);
    expect(await schedules.getByRole('button', { name: 'Save' }).count()).toBe(0);

    await app.open('Alerts');
    await app.heading('Alerts').waitFor();
    expect(await page.getByRole('button', { name: 'Evaluate now' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    await page.getByRole('tab', { name: 'Rules' }).click();
    const rules = app.region('Alert rules');
    await rules.getByRole('row').nth(1).waitFor();
    expect(await rules.getByRole('button', { name: 'Save' }).count()).toBe(0);
    expect(await rules.getByRole('checkbox').first().isDisabled()).toBe(true);
    await page.getByRole('tab', { name: 'Webhooks' }).click();
    await app.region('Webhooks').waitFor();
    expect(await page.getByRole('form', { name: 'Add a webhook' }).isVisible()).toBe(false);

    await new ExportPage(page).openHistory();
    expect(await page.getByRole('button', { name: 'Save snapshot' }).count()).toBe(0);
    expect(await page.getByLabel(/^Import a snapshot file/).count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('records an upload in the audit with the person, as the Activity page shows', async () => {
    const olive = await signInPage('olive');
    const history = new ExportPage(olive.page);
    await history.openHistory();
    await history.importFile(
      'olive-offsite.xlsx',
      sheetJsWorkbook({
        vInfo: [
          ['VM', 'Powerstate', 'CPUs', 'Memory', 'VM ID', 'VI SDK Server'],
          ['offsite-db', 'poweredOn', 8, 65536, 'vm-900', 'vc-lab.example.test'],
        ],
      }),
    );
    await history
      .snapshotTable()
      .getByRole('cell', { name: /^olive-offsite\.xlsx/ })
      .waitFor();
    await olive.context.close();

    const admin = await signInPage('adam');
    const app = new AppPage(admin.page);
    await app.open('Activity');
    await admin.page.getByRole('tab', { name: 'Audit log' }).click();
    await admin.page.getByLabel('Filter by user').fill('olive');
    const table = app.table('Audit log');
    await table.getByText('snapshots:upload').first().waitFor();
    const row = table.locator('.tr').filter({ hasText: 'snapshots:upload' }).first();
    expect(await row.innerText()).toContain('olive@127.0.0.1');
    expect(await row.innerText()).toContain('olive-offsite.xlsx');
    // And the Users page shows olive's sign-ins now.
    const users = new UsersPage(admin.page);
    await users.open();
    expect(await users.row('olive').innerText()).not.toContain('never');
    expect(admin.errors).toEqual([]);
    await admin.context.close();
  });
});
