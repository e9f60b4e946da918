import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeState } from '../hardening/store-state.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import type { Served } from './fixtures.js';
import { launchBrowser, openE2eStore, serveE2e, tempDataDir } from './fixtures.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { EndpointsPage } from './pages/endpoints-page.js';

let browser: Browser;
let served: Served;
let https: Server;
let httpsPort: number;
let fingerprint: string;
// Runs on the team store too: INFRASCOPE_E2E_STORE=postgres (fixtures.ts E2E_ENGINE).
const data = tempDataDir();
const certDir = mkdtempSync(join(tmpdir(), 'infrascope-cert-'));
const PASSWORD = 'pw-never-shown-9f3b';

beforeAll(async () => {
  // A self-signed HTTPS server standing in for a vCenter whose certificate nobody vouches for.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-keyout',
      'k',
      '-out',
      'c',
    ],
    { cwd: certDir, stdio: 'ignore' },
  );
  const cert = readFileSync(join(certDir, 'c'));
  fingerprint = new X509Certificate(cert).fingerprint256;
  https = createServer({ key: readFileSync(join(certDir, 'k')), cert }, (_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not vSphere');
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  httpsPort = (https.address() as AddressInfo).port;
  served = await serveE2e(data.dir);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await new Promise<void>((resolve) => (https ? https.close(() => resolve()) : resolve()));
  rmSync(certDir, { recursive: true, force: true });
  await stopSharedPostgres();
  data.cleanup();
});

async function openEndpoints(errors: string[]): Promise<{ page: Page; endpoints: EndpointsPage }> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.url);
  const endpoints = new EndpointsPage(page);
  await endpoints.open();
  return { page, endpoints };
}

describe('the Endpoints page', () => {
  it('starts on a fresh store: the dashboard says to add an endpoint, settings show the app', async () => {
    const errors: string[] = [];
    const { page, endpoints } = await openEndpoints(errors);
    await endpoints.app.open('Dashboard');
    const dashboard = new DashboardPage(page);
    await dashboard.text('No endpoints yet').waitFor();
    await dashboard.button('Go to Endpoints').click();
    await endpoints.app.heading('Endpoints').waitFor();
    await endpoints.app.open('Settings');
    const about = endpoints.app.region('About');
    await about.filter({ hasText: data.dir }).waitFor();
    expect(await about.innerText()).toMatch(/Schema version/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('checks the form in the browser before sending it', async () => {
    const errors: string[] = [];
    const { page, endpoints } = await openEndpoints(errors);
    await endpoints.emptyState().waitFor();
    await endpoints.addButton().click();
    await endpoints.fillForm({ host: 'bad host!', port: '70000' });
    await endpoints.submitForm();
    const form = endpoints.form();
    await endpoints.formText('Name is required').waitFor();
    await endpoints.formText('Host is a DNS name or an IP address').waitFor();
    await endpoints.formText('Port is a number from 1 to 65535').waitFor();
    await expect(endpoints.field('Name').getAttribute('aria-invalid')).resolves.toBe('true');
    await endpoints.dialogButton(form, 'Cancel').click();
    await form.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('adds an endpoint, tests it, shows the untrusted certificate and trusts it', async () => {
    const errors: string[] = [];
    const { page, endpoints } = await openEndpoints(errors);

    await endpoints.add({
      name: 'lab-vc',
      type: 'vcenter',
      host: '127.0.0.1',
      port: String(httpsPort),
      username: 'administrator@vsphere.local',
      tags: 'lab, e2e',
    });
    const card = endpoints.card('lab-vc');
    await card.waitFor();
    const cardText = await card.innerText();
    expect(cardText).toContain(`127.0.0.1:${httpsPort}`);
    expect(cardText).toContain('administrator@vsphere.local');
    expect(cardText).toMatch(/Credential\s+none/);

    await endpoints.button('lab-vc', 'Test connection').click();
    const tls = endpoints.step('TLS handshake');
    await tls.waitFor({ timeout: 30_000 });
    expect(await tls.getAttribute('aria-label')).toBe('TLS handshake: Failed');
    const tlsText = await tls.innerText();
    expect(tlsText).toContain('TLS_UNTRUSTED');
    expect(tlsText).toContain(fingerprint);
    expect(await endpoints.step('DNS resolution').getAttribute('aria-label')).toBe(
      'DNS resolution: OK',
    );
    expect(await endpoints.step('TCP connect').getAttribute('aria-label')).toBe('TCP connect: OK');
    expect(await endpoints.step('API probe').getAttribute('aria-label')).toBe('API probe: Skipped');

    // The trust dialog opened with the certificate's facts.
    const dialog = endpoints.trustDialog();
    await dialog.waitFor();
    expect(await endpoints.certificateFingerprint().innerText()).toBe(fingerprint);
    const dialogText = await dialog.innerText();
    expect(dialogText).toContain('CN=localhost');
    expect(dialogText).toMatch(/Valid to/);
    // Not now: the checklist stays, and the step offers the certificate again.
    await endpoints.dialogButton(dialog, 'Cancel').click();
    await dialog.waitFor({ state: 'detached' });

    // The report downloads as JSON.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      endpoints.testButton('Save report').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^infrascope-test-lab-vc-.*\.json$/);
    const saved = JSON.parse(readFileSync(await download.path(), 'utf8')) as {
      ok: boolean;
      steps: { id: string; status: string }[];
    };
    expect(saved.ok).toBe(false);
    expect(saved.steps.find((s) => s.id === 'tls')?.status).toBe('failed');

    await endpoints.stepButton('TLS handshake', 'Review certificate').click();
    await dialog.waitFor();
    await endpoints.dialogButton(dialog, 'Trust this certificate').click();
    await dialog.waitFor({ state: 'detached' });
    await endpoints.pinnedThumbprint('lab-vc').waitFor();
    expect(await endpoints.pinnedThumbprint('lab-vc').innerText()).toBe(fingerprint);

    // Tested again, the pinned certificate passes and the checklist moves on to the API probe.
    await endpoints.testButton('Test again').click();
    // The local server is no vCenter, so the API probe is where it stops now.
    await endpoints.stepWithStatus('API probe: Failed').waitFor({ timeout: 30_000 });
    expect(await tls.getAttribute('aria-label')).toMatch(/^TLS handshake: (OK|Warning)$/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('edits an endpoint and disables it', async () => {
    const errors: string[] = [];
    const { page, endpoints } = await openEndpoints(errors);
    const card = endpoints.card('lab-vc');
    await card.waitFor();

    await endpoints.button('lab-vc', 'Edit').click();
    const form = endpoints.form();
    await endpoints.fillForm({ tags: 'lab, e2e, edited' });
    await endpoints.submitForm();
    await form.waitFor({ state: 'detached' });
    await endpoints.cardText('lab-vc', 'edited').waitFor();

    await endpoints.enabledSwitch('lab-vc').click();
    await endpoints.cardText('lab-vc', 'Disabled').waitFor();
    expect(await endpoints.button('lab-vc', 'Sync now').isDisabled()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('stores a password without ever showing it again', async () => {
    const errors: string[] = [];
    const { page, endpoints } = await openEndpoints(errors);
    const card = endpoints.card('lab-vc');
    await card.waitFor();
    await endpoints.button('lab-vc', 'Edit').click();
    const form = endpoints.form();
    await endpoints.fillForm({ password: PASSWORD });
    await endpoints.submitForm();
    await page.waitForFunction(
      () =>
        !document.querySelector('[role="dialog"]') ||
        document.querySelector('[role="dialog"] [role="alert"]'),
    );
    expect(await endpoints.formErrors().allInnerTexts()).toEqual([]);
    await endpoints.cardText('lab-vc', 'set').waitFor();
    // The password went to the core and nowhere else; editing again starts from a blank field.
    expect(await page.content()).not.toContain(PASSWORD);
    await endpoints.button('lab-vc', 'Edit').click();
    await expect(endpoints.field('Password', false).inputValue()).resolves.toBe('');
    await endpoints.dialogButton(form, 'Cancel').click();
    expect(errors).toEqual([]);
    // Nor in anything serve printed (debug logs included), nor in any file of the data directory:
    // the store holds only ciphertext.
    expect(served.output()).not.toContain(PASSWORD);
    expect(served.output().length).toBeGreaterThan(0);
    for (const file of readdirSync(data.dir, { recursive: true }) as string[]) {
      const path = join(data.dir, file);
      if (statSync(path).isFile()) expect(readFileSync(path).includes(PASSWORD)).toBe(false);
    }
    // Nor in any row of the store, wherever it lives (a team store is not in the data directory).
    const store = await openE2eStore(data.dir);
    try {
      const rows = JSON.stringify(await storeState(store.db));
      expect(rows).toContain('lab-vc');
      expect(rows).not.toContain(PASSWORD);
    } finally {
      await store.close();
    }
    await page.close();
  });

  it('deletes an endpoint after confirmation', async () => {
    const errors: string[] = [];
    const { page, endpoints } = await openEndpoints(errors);
    const card = endpoints.card('lab-vc');
    await card.waitFor();
    await endpoints.button('lab-vc', 'Delete').click();
    const confirm = endpoints.dialog('Delete endpoint');
    await endpoints.dialogButton(confirm, 'Cancel').click();
    await confirm.waitFor({ state: 'detached' });
    await card.waitFor();
    await endpoints.button('lab-vc', 'Delete').click();
    await endpoints.dialogButton(confirm, 'Delete').click();
    await card.waitFor({ state: 'detached' });
    await endpoints.emptyState().waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });
});
