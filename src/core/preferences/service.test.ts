import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';
import type { Core } from '../core.js';
import { createCore } from '../core.js';
import { keyFileVault } from '../vault/key-file-vault.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_PREFERENCES, MAX_PREFERENCE_BYTES } from '../../shared/preferences.js';

let dir: string;
/** The PostgreSQL database, or undefined for the SQLite file in `dir` (both outlive a core). */
let location: string | undefined;
let core: Core;
const ctx = { actor: 'test', host: 'cli' } as const;

const open = (host: 'serve' | 'desktop'): Promise<Core> =>
  createCore({
    dataDir: dir,
    host,
    vault: keyFileVault(dir),
    ...(location === undefined ? {} : { store: location }),
  });

afterAll(stopSharedPostgres);

describe.each(ENGINES)('preferences on a %s store', (engine) => {
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'infrascope-prefs-'));
    location = await testStoreLocation(engine);
    core = await open('serve');
  });
  afterEach(async () => {
    await core.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores, replaces and removes values, and they outlive the process', async () => {
    expect(await core.request('preferences:get', {}, ctx)).toEqual({ ok: true, result: {} });
    const layout = JSON.stringify({ v: 1, columns: [{ name: 'name', width: 300 }] });
    await core.request('preferences:set', { key: 'infrascope.table.vms', value: layout }, ctx);
    await core.request('preferences:set', { key: 'infrascope.themePref', value: 'dark' }, ctx);
    await core.request('preferences:set', { key: 'infrascope.themePref', value: 'light' }, ctx);
    await core.request('preferences:set', { key: 'infrascope.scope', value: '{}' }, ctx);
    await core.request('preferences:set', { key: 'infrascope.scope', value: null }, ctx);
    await core.dispose();
    core = await open('desktop');
    expect(await core.request('preferences:get', {}, ctx)).toEqual({
      ok: true,
      result: { 'infrascope.table.vms': layout, 'infrascope.themePref': 'light' },
    });
  });

  it('keeps them apart from the app settings in the same table', async () => {
    await core.store.db
      .insertInto('setting')
      .values({ key: 'vault.allowBasicText', value: 'true' })
      .execute();
    await core.request('preferences:set', { key: 'vault.allowBasicText', value: 'x' }, ctx);
    const row = await core.store.db
      .selectFrom('setting')
      .select('value')
      .where('key', '=', 'vault.allowBasicText')
      .executeTakeFirstOrThrow();
    expect(row.value).toBe('true');
    expect(await core.request('preferences:get', {}, ctx)).toEqual({
      ok: true,
      result: { 'vault.allowBasicText': 'x' },
    });
  });

  it('refuses bad keys, oversized values and too many keys, changing nothing', async () => {
    for (const input of [
      { key: '', value: 'x' },
      { key: 'a b', value: 'x' },
      { key: 'k%', value: 'x' },
      { key: 'x'.repeat(101), value: 'x' },
      { key: 'big', value: 'x'.repeat(MAX_PREFERENCE_BYTES + 1) },
      { key: 'n', value: 5 },
      { key: 'n', value: 'x', extra: true },
    ]) {
      const reply = await core.request('preferences:set', input, ctx);
      expect(reply).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    }
    for (let i = 0; i < MAX_PREFERENCES; i++) {
      const reply = await core.request('preferences:set', { key: `k${i}`, value: 'v' }, ctx);
      expect(reply.ok).toBe(true);
    }
    const over = await core.request('preferences:set', { key: 'one-more', value: 'v' }, ctx);
    expect(over).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    // Replacing an existing key is still allowed at the limit.
    const replace = await core.request('preferences:set', { key: 'k0', value: 'w' }, ctx);
    expect(replace.ok).toBe(true);
    const all = await core.request('preferences:get', {}, ctx);
    if (!all.ok) throw new Error('get failed');
    const prefs = all.result as Record<string, string>;
    expect(Object.keys(prefs)).toHaveLength(MAX_PREFERENCES);
    expect(prefs['k0']).toBe('w');
    expect(prefs['one-more']).toBeUndefined();
    expect(prefs['big']).toBeUndefined();
  });
});
