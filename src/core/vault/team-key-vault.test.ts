import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { addEndpoint, openTestStore } from '../../../tests/helpers/store.js';
import type { Store } from '../store/sqlite.js';
import { openCredential, storeCredential } from './credentials.js';
import { loadStoreKey, readStoreKeyFile, writeNewStoreKeyFile } from './store-key.js';
import { teamKeyVault } from './team-key-vault.js';

afterAll(stopSharedPostgres);

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('the team store key as given to a host', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'infrascope-store-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads base64 and hex text, a raw 32-byte file, and a generated key file alike', () => {
    const key = randomBytes(32);
    expect(loadStoreKey({ env: { INFRASCOPE_STORE_KEY: key.toString('base64') } })?.key).toEqual(
      key,
    );
    expect(loadStoreKey({ env: { INFRASCOPE_STORE_KEY: key.toString('hex') } })?.key).toEqual(key);
    const raw = join(dir, 'raw.key');
    writeFileSync(raw, key, { mode: 0o600 });
    expect(loadStoreKey({ env: {}, file: raw })).toEqual({ key, source: `key file ${raw}` });
    const made = join(dir, 'made.key');
    writeNewStoreKeyFile(made);
    expect(readStoreKeyFile(made).key).toHaveLength(32);
    expect(loadStoreKey({ env: { INFRASCOPE_STORE_KEY_FILE: made } })?.source).toContain(made);
    expect(loadStoreKey({ env: {} })).toBeNull();
  });

  it('refuses a malformed key without repeating it, and a key file others can read', () => {
    const e = thrown(() => loadStoreKey({ env: { INFRASCOPE_STORE_KEY: 'not-a-key-s3cret' } }));
    expect(e.code).toBe('STORE_KEY_INVALID');
    expect(e.message).not.toContain('not-a-key-s3cret');
    const open = join(dir, 'open.key');
    writeFileSync(open, randomBytes(32).toString('base64'), { mode: 0o644 });
    if (process.platform !== 'win32') {
      const f = thrown(() => loadStoreKey({ env: {}, file: open }));
      expect(f.code).toBe('STORE_KEY_INVALID');
      expect(f.message).toContain('chmod 600');
    }
  });
});

describe('a team store and the keys of its hosts', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openTestStore('postgres');
  });
  afterEach(() => store.close());

  it('is claimed by the first key that seals, then refuses others and hosts without one', async () => {
    const ep = { id: await addEndpoint(store.db, 'vc1'), name: 'vc1' };
    const first = teamKeyVault({ key: randomBytes(32), source: 'first' });
    expect((await first.status(store.db)).state).toBe('unclaimed');
    await storeCredential(store.db, first, ep.id, 'pw-1', new Date());
    expect(await first.status(store.db)).toMatchObject({ state: 'ok', message: null });

    const none = teamKeyVault(null);
    expect(await none.status(store.db)).toMatchObject({ state: 'missing', keyId: null });
    const other = teamKeyVault({ key: randomBytes(32), source: 'other' });
    const seen = await other.status(store.db);
    expect(seen.state).toBe('mismatch');
    expect(seen.storeKeyId).toBe((await first.status(store.db)).keyId);
    expect(other.canSeal()).toBe(false);
    for (const vault of [none, other]) {
      const sealing = await storeCredential(store.db, vault, ep.id, 'pw-2', new Date()).then(
        () => null,
        (e: unknown) => e as AppError,
      );
      expect(sealing?.code).toBe(vault === none ? 'STORE_KEY_MISSING' : 'STORE_KEY_MISMATCH');
    }
    // Nothing changed: the first key still opens the first password.
    expect(await openCredential(store.db, first, ep)).toBe('pw-1');
  });
});
