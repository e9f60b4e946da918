import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sharedPostgres, stopSharedPostgres } from '../../tests/helpers/postgres.js';
import { probePostgres } from '../core/store/postgres.js';
import { openStore } from '../core/store/sqlite.js';
import { fakeSealer } from '../../tests/doubles/fake-sealer.js';
import {
  STORE_SETTING_FILE,
  chooseDesktopStore,
  readStoreSetting,
  writeStoreSetting,
} from './store-setting.js';

afterAll(stopSharedPostgres);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infrascope-store-setting-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the desktop store setting', () => {
  const url = 'postgres://ops:p%40ss%20word@db.example.test:5433/infra?sslmode=require';

  it('keeps the URL without its password, the password sealed, and gives the URL back', () => {
    writeStoreSetting(dir, fakeSealer(), url);
    const file = join(dir, STORE_SETTING_FILE);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('p@ss word');
    expect(text).not.toContain('p%40ss');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // No temporary file left behind.
    expect(readdirSync(dir)).toEqual([STORE_SETTING_FILE]);
    const back = new URL(readStoreSetting(dir, fakeSealer())!);
    expect(decodeURIComponent(back.password)).toBe('p@ss word');
    expect(back.username).toBe('ops');
    expect(back.host).toBe('db.example.test:5433');
    expect(back.searchParams.get('sslmode')).toBe('require');
  });

  it('seals a password given as a query parameter too', () => {
    writeStoreSetting(dir, fakeSealer(), 'postgres://ops@db/infra?password=hunter2');
    expect(readFileSync(join(dir, STORE_SETTING_FILE), 'utf8')).not.toContain('hunter2');
    expect(readStoreSetting(dir, fakeSealer())).toContain(':hunter2@');
  });

  it('refuses to save a password the OS cannot seal, and a URL that is not a store', () => {
    expect(() => writeStoreSetting(dir, fakeSealer('alice', false), url)).toThrow(
      expect.objectContaining({ code: 'VAULT_UNAVAILABLE' }),
    );
    expect(() => writeStoreSetting(dir, fakeSealer(), 'postgres://db.example.test/')).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
    expect(readdirSync(dir)).toEqual([]);
    // Without a password nothing needs sealing.
    writeStoreSetting(dir, fakeSealer('alice', false), 'postgres://ops@db/infra');
    expect(readStoreSetting(dir, fakeSealer())).toBe('postgres://ops@db/infra');
  });

  it('answers a typed error for a file another user sealed or that is not a setting', () => {
    writeStoreSetting(dir, fakeSealer('alice'), url);
    expect(() => readStoreSetting(dir, fakeSealer('mallory'))).toThrow(
      expect.objectContaining({
        code: 'VALIDATION',
        message: expect.stringContaining('Delete the file'),
      }),
    );
    writeFileSync(join(dir, STORE_SETTING_FILE), '{"version":1,"url":"/etc/passwd"}');
    expect(() => readStoreSetting(dir, fakeSealer())).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
    writeFileSync(join(dir, STORE_SETTING_FILE), 'not json');
    expect(() => readStoreSetting(dir, fakeSealer())).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
  });

  it('lets INFRASCOPE_STORE and --store win over the setting, and removing it means local', () => {
    writeStoreSetting(dir, fakeSealer(), url);
    const base = { dataDir: dir, sealer: fakeSealer() };
    expect(chooseDesktopStore({ ...base, env: {}, argv: [] }).source).toBe('settings');
    expect(
      chooseDesktopStore({ ...base, env: { INFRASCOPE_STORE: 'postgres://e@h/d' }, argv: [] }),
    ).toEqual({ location: 'postgres://e@h/d', source: 'environment' });
    expect(
      chooseDesktopStore({ ...base, env: {}, argv: ['electron', '--store=postgres://a@h/d'] }),
    ).toEqual({ location: 'postgres://a@h/d', source: 'command line' });
    writeStoreSetting(dir, fakeSealer(), null);
    expect(chooseDesktopStore({ ...base, env: {}, argv: [] })).toEqual({
      location: undefined,
      source: 'default',
    });
  });
});

describe('probePostgres (checked before the desktop switches)', () => {
  it('accepts a reachable store, changing nothing, and types what is wrong otherwise', async () => {
    const cluster = await sharedPostgres();
    const fresh = await cluster.createDatabase();
    expect((await probePostgres(fresh)).pending).toBeGreaterThan(0);
    // Probing did not migrate: the store opened afterwards still applies every migration.
    const store = await openStore({ file: fresh });
    await store.close();
    expect((await probePostgres(fresh)).pending).toBe(0);

    const wrongPassword = new URL(fresh);
    wrongPassword.password = 'not-the-password';
    await expect(probePostgres(wrongPassword.toString())).rejects.toMatchObject({
      code: 'STORE_AUTH_FAILED',
    });
    const missing = new URL(fresh);
    missing.pathname = '/no_such_database';
    await expect(probePostgres(missing.toString())).rejects.toMatchObject({
      code: 'STORE_DATABASE_MISSING',
    });
  });
});
