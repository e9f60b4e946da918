import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { StoreEngine } from '../../src/core/store/location.js';
import { STORE_FILE } from '../../src/core/store/sqlite.js';
import { testStoreLocation } from '../helpers/store.js';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
}

/**
 * Opens the served app in a new page that records uncaught errors and console errors; tests end
 * with `expect(errors).toEqual([])`.
 */
export async function openApp(
  browser: Browser,
  url: string,
  /** Runs on the new page before it loads (listeners that must see its first requests). */
  before?: (page: Page) => void,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  before?.(page);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  return { page, errors };
}

/** A fresh data directory per test file (model: Actual's e2e fixtures). */
export function tempDataDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-e2e-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Served {
  url: string;
  origin: string;
  process: ChildProcess;
  /** Everything serve printed so far (debug-level logs included), for secret greps. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The engine of the e2e files that follow the switch: INFRASCOPE_E2E_STORE=postgres puts their
 * store in a throwaway PostgreSQL cluster (tests/helpers/postgres.ts) instead of the data
 * directory's SQLite file; such a file calls `stopSharedPostgres` after all.
 */
export const E2E_ENGINE: StoreEngine =
  process.env['INFRASCOPE_E2E_STORE'] === 'postgres' ? 'postgres' : 'sqlite';

const e2eStores = new Map<string, Promise<string>>();

/** Where the store of `dataDir` lives on {@link E2E_ENGINE}: its SQLite file or a fresh database. */
export function e2eStoreLocation(dataDir: string): Promise<string> {
  let at = e2eStores.get(dataDir);
  if (!at) {
    at =
      E2E_ENGINE === 'postgres'
        ? testStoreLocation('postgres').then((url) => url!)
        : Promise.resolve(join(dataDir, STORE_FILE));
    e2eStores.set(dataDir, at);
  }
  return at;
}

/** `startServe`'s options for the store of `dataDir` on {@link E2E_ENGINE}. */
export async function e2eServeOptions(dataDir: string): Promise<ServeOptions> {
  return E2E_ENGINE === 'postgres' ? { store: await e2eStoreLocation(dataDir) } : {};
}

export interface ServeOptions {
  /** The store (`--store`): a team store's postgres:// URL; default the data directory's file. */
  readonly store?: string;
  /** More environment (INFRASCOPE_STORE_KEY for a team store's key). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts the built `infrascope serve` on a free loopback port (or where `listen` says, e.g.
 * `['--listen', '127.0.0.1:0', '--tls-cert', …]`) and waits for its URL.
 */
export async function startServe(
  dataDir: string,
  extra: string[] = [],
  listen: string[] = ['--port', '0'],
  opts: ServeOptions = {},
): Promise<Served> {
  const store = opts.store === undefined ? [] : ['--store', opts.store];
  const child = spawn(
    process.execPath,
    ['bin/infrascope.mjs', '--data-dir', dataDir, ...store, 'serve', ...listen, ...extra],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Debug-level logs, so the tests that grep for secrets see everything the core logs.
      env: {
        ...process.env,
        ...opts.env,
        INFRASCOPE_DATA_DIR: dataDir,
        INFRASCOPE_LOG_LEVEL: 'debug',
      },
    },
  );
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      // Local serve prints its URL with the run's token; a team server (TLS, accounts) without.
      const m = /(https?:\/\/127\.0\.0\.1:\d+\/(?:\?token=[0-9a-f]+)?)(?:\s|$)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`serve did not print its URL: ${stderr}`)), 20_000).unref();
  });
  return {
    url,
    origin: new URL(url).origin,
    process: child,
    output: () => stdout + stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface ServedSession {
  readonly dir: string;
  readonly served: Served;
  readonly browser: Browser;
}

/**
 * The usual file setup: a fresh data directory that `prepare` fills, `serve --no-sync` over it and
 * Chromium, all stopped and removed after the file. Read the fields inside tests (they are set
 * in `beforeAll`).
 */
export function servedSession(prepare: (dir: string) => Promise<void>): ServedSession {
  const data = tempDataDir();
  const session = { dir: data.dir } as { dir: string; served: Served; browser: Browser };
  beforeAll(async () => {
    await prepare(data.dir);
    session.served = await startServe(data.dir, ['--no-sync']);
    session.browser = await launchBrowser();
  });
  afterAll(async () => {
    await session.browser?.close();
    await session.served?.stop();
    data.cleanup();
  });
  return session;
}
