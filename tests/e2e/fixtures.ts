import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { StoreEngine } from '../../src/core/store/location.js';
import { STORE_FILE, openStore } from '../../src/core/store/sqlite.js';
import type { Store } from '../../src/core/store/sqlite.js';
import { STORE_KEY_ENV } from '../../src/core/vault/store-key.js';
import type { EventMap } from '../../src/shared/contract.js';
import { makeCore } from '../doubles/core-harness.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
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

/** The team key of this file's PostgreSQL stores: serve and the CLI seal secrets with it there. */
const E2E_STORE_KEY = randomBytes(32).toString('base64');

/** `startServe`'s options for the store of `dataDir` on {@link E2E_ENGINE}. */
export async function e2eServeOptions(dataDir: string): Promise<ServeOptions> {
  return E2E_ENGINE === 'postgres'
    ? { store: await e2eStoreLocation(dataDir), env: { [STORE_KEY_ENV]: E2E_STORE_KEY } }
    : {};
}

/**
 * A CLI run's global options and environment for the store of `dataDir` on {@link E2E_ENGINE}:
 * `bin/infrascope.mjs --data-dir DIR ...args`, with the team key on PostgreSQL.
 */
export async function e2eCli(
  dataDir: string,
  args: readonly string[],
): Promise<{ argv: string[]; env: Record<string, string> }> {
  const opts = await e2eServeOptions(dataDir);
  const store = opts.store === undefined ? [] : ['--store', opts.store];
  return {
    argv: ['bin/infrascope.mjs', '--data-dir', dataDir, ...store, ...args],
    env: { ...opts.env },
  };
}

/** The store of `dataDir` on {@link E2E_ENGINE}, open for a test to seed or read. */
export async function openE2eStore(dataDir: string): Promise<Store> {
  return openStore({ file: await e2eStoreLocation(dataDir) });
}

/** What another process announces of its write (as its sync engine or endpoint service would). */
export interface Announced {
  readonly endpoints?: EventMap['endpoints:changed'];
  readonly inventory?: EventMap['inventory:changed'];
}

/**
 * Writes into the store of `dataDir` as another Infrascope process would. On SQLite the pages
 * notice by polling the store's version; on a team store they rely on what other processes
 * announce (LISTEN/NOTIFY, src/core/store/pg-events.ts) and never poll, so there the writer is a
 * core on the store that announces `announced()` after its write, as a CLI sync's core does.
 */
export async function writeAsAnotherProcess(
  dataDir: string,
  write: (db: Store['db']) => Promise<Announced>,
): Promise<void> {
  if (E2E_ENGINE === 'sqlite') {
    const store = await openE2eStore(dataDir);
    try {
      await write(store.db);
    } finally {
      await store.close();
    }
    return;
  }
  // No team key: this writer touches no secret.
  const h = await makeCore({ store: await e2eStoreLocation(dataDir), storeKey: null });
  try {
    const announced = await write(h.core.store.db);
    if (announced.endpoints) h.core.events.emit('endpoints:changed', announced.endpoints);
    if (announced.inventory) h.core.events.emit('inventory:changed', announced.inventory);
  } finally {
    // Disposing waits for the announcements to be sent.
    await h.close();
  }
}

/** `serve` (default `--no-sync`) over the store of `dataDir` on {@link E2E_ENGINE}. */
export async function serveE2e(dataDir: string, extra: string[] = ['--no-sync']): Promise<Served> {
  return startServe(dataDir, extra, undefined, await e2eServeOptions(dataDir));
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
 * Chromium, all stopped and removed after the file. The store follows {@link E2E_ENGINE}: prepare
 * opens it with {@link openE2eStore}. Read the fields inside tests (they are set in `beforeAll`).
 */
export function servedSession(prepare: (dir: string) => Promise<void>): ServedSession {
  const data = tempDataDir();
  const session = { dir: data.dir } as { dir: string; served: Served; browser: Browser };
  beforeAll(async () => {
    await prepare(data.dir);
    session.served = await serveE2e(data.dir);
    session.browser = await launchBrowser();
  });
  afterAll(async () => {
    await session.browser?.close();
    await session.served?.stop();
    await stopSharedPostgres();
    data.cleanup();
  });
  return session;
}
