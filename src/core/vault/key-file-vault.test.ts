import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { openStore } from '../store/sqlite.js';
import type { Store } from '../store/sqlite.js';
import { openCredential, storeCredential } from './credentials.js';
import { KEY_FILE, keyFileVault } from './key-file-vault.js';
import type { VaultBackend } from './vault.js';

const posix = process.platform !== 'win32';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infrascope-vault-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('keyFileVault', () => {
  it('round-trips secrets and creates a 0600 key file on first use', () => {
    const vault = keyFileVault(dir);
    expect(vault.id).toBe('keyfile');
    const sealed = vault.seal('pässwörd 🔑');
    expect(sealed.toString('utf8')).not.toContain('pässwörd');
    expect(vault.open(sealed)).toBe('pässwörd 🔑');
    if (posix) expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    // A second instance (another process) reads the same key.
    expect(keyFileVault(dir).open(sealed)).toBe('pässwörd 🔑');
    // Same plaintext, different ciphertext (random IV).
    expect(vault.seal('x').equals(vault.seal('x'))).toBe(false);
  });

  it.runIf(posix)('refuses a key file other users can read, and says how to fix it', () => {
    keyFileVault(dir).seal('x');
    chmodSync(join(dir, KEY_FILE), 0o644);
    const vault = keyFileVault(dir);
    expect(vault.canSeal()).toBe(false);
    const e = thrown(() => vault.seal('x'));
    expect(e.code).toBe('VAULT_UNAVAILABLE');
    expect(e.message).toContain('chmod 600');
    expect(e.details).toMatchObject({ mode: '0644' });
  });

  it.runIf(posix)('makes an existing data directory private before keeping a key in it', () => {
    chmodSync(dir, 0o755);
    keyFileVault(dir).seal('x');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('binds associated data: a bound secret opens only with the same data', () => {
    const vault = keyFileVault(dir);
    const sealed = vault.seal('pw', 'infrascope:endpoint:1');
    expect(sealed[0]).toBe(2);
    expect(vault.unbound?.(sealed)).toBe(false);
    expect(vault.open(sealed, 'infrascope:endpoint:1')).toBe('pw');
    expect(thrown(() => vault.open(sealed, 'infrascope:endpoint:2')).code).toBe('VAULT_LOCKED');
    expect(thrown(() => vault.open(sealed)).code).toBe('VAULT_LOCKED');
    // Without associated data: the old format, reported unbound.
    expect(vault.unbound?.(vault.seal('pw'))).toBe(true);
  });

  it('rejects corrupt ciphertext and a different key with VAULT_LOCKED', () => {
    const vault = keyFileVault(dir);
    const sealed = vault.seal('secret');
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0xff;
    expect(thrown(() => vault.open(tampered)).code).toBe('VAULT_LOCKED');
    expect(thrown(() => vault.open(Buffer.from('junk'))).code).toBe('VAULT_LOCKED');
    const other = mkdtempSync(join(tmpdir(), 'infrascope-vault-'));
    try {
      expect(thrown(() => keyFileVault(other).open(sealed)).code).toBe('VAULT_LOCKED');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a truncated key file', () => {
    writeFileSync(join(dir, KEY_FILE), Buffer.alloc(5), { mode: 0o600 });
    expect(thrown(() => keyFileVault(dir).seal('x')).code).toBe('VAULT_UNAVAILABLE');
    expect(readFileSync(join(dir, KEY_FILE)).length).toBe(5); // never overwritten
  });
});

describe('credentials', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore({ file: ':memory:' });
    await store.db
      .insertInto('endpoint')
      .values({
        name: 'vc01',
        kind: 'vcenter',
        host: 'vc01',
        port: 443,
        username: 'u',
        created_at: 'x',
        updated_at: 'x',
      })
      .execute();
  });
  afterEach(async () => store.close());
  const state = async (): Promise<string> =>
    (await store.db.selectFrom('endpoint').select('credential_state').executeTakeFirstOrThrow())
      .credential_state;
  const ep = { id: 1, name: 'vc01' };

  it('stores ciphertext with the backend id and opens it', async () => {
    const vault = keyFileVault(dir);
    await storeCredential(store.db, vault, 1, 'pw-1', new Date());
    const row = await store.db.selectFrom('credential').selectAll().executeTakeFirstOrThrow();
    expect(row.backend).toBe('keyfile');
    expect(Buffer.from(row.ciphertext).toString('utf8')).not.toContain('pw-1');
    expect(await openCredential(store.db, vault, ep)).toBe('pw-1');
    expect(await state()).toBe('set');
  });

  it('marks reenter (and keeps the ciphertext) when another backend sealed it', async () => {
    await storeCredential(store.db, keyFileVault(dir), 1, 'pw-1', new Date());
    const desktop: VaultBackend = { ...keyFileVault(dir), id: 'safeStorage:gnome_libsecret' };
    const e = await openCredential(store.db, desktop, ep).then(
      () => null,
      (x: unknown) => x as AppError,
    );
    expect(e?.code).toBe('VAULT_UNAVAILABLE');
    expect(e?.message).toContain('--password-env');
    expect(e?.message).toContain('keyfile');
    expect(await state()).toBe('reenter');
    expect(await store.db.selectFrom('credential').selectAll().execute()).toHaveLength(1);
  });

  it('a ciphertext moved onto another endpoint does not open (VAULT_LOCKED)', async () => {
    await store.db
      .insertInto('endpoint')
      .values({
        name: 'vc02',
        kind: 'vcenter',
        host: 'vc02',
        port: 443,
        username: 'u',
        created_at: 'x',
        updated_at: 'x',
      })
      .execute();
    const vault = keyFileVault(dir);
    await storeCredential(store.db, vault, 1, 'pw-1', new Date());
    await storeCredential(store.db, vault, 2, 'pw-2', new Date());
    // Someone who can write the store swaps the two endpoints' ciphertexts.
    const rows = await store.db
      .selectFrom('credential')
      .selectAll()
      .orderBy('endpoint_id')
      .execute();
    for (const [i, r] of rows.entries()) {
      await store.db
        .updateTable('credential')
        .set({ ciphertext: rows[1 - i]!.ciphertext })
        .where('endpoint_id', '=', r.endpoint_id)
        .execute();
    }
    const e1 = await openCredential(store.db, vault, ep).catch((x: unknown) => x as AppError);
    const e2 = await openCredential(store.db, vault, { id: 2, name: 'vc02' }).catch(
      (x: unknown) => x as AppError,
    );
    expect(e1).toBeInstanceOf(AppError);
    expect(e2).toBeInstanceOf(AppError);
    expect((e1 as AppError).code).toBe('VAULT_LOCKED');
    expect((e2 as AppError).code).toBe('VAULT_LOCKED');
  });

  it('opens a secret sealed before binding once, and re-seals it bound to its endpoint', async () => {
    const vault = keyFileVault(dir);
    // As an older version stored it: no associated data.
    await store.db
      .insertInto('credential')
      .values({
        endpoint_id: 1,
        backend: vault.id,
        ciphertext: vault.seal('old-pw'),
        sealed_at: 'x',
      })
      .execute();
    const before = await store.db.selectFrom('credential').selectAll().executeTakeFirstOrThrow();
    expect(Buffer.from(before.ciphertext)[0]).toBe(1);
    expect(await openCredential(store.db, vault, ep)).toBe('old-pw');
    const after = await store.db.selectFrom('credential').selectAll().executeTakeFirstOrThrow();
    expect(Buffer.from(after.ciphertext)[0]).toBe(2);
    expect(vault.open(Buffer.from(after.ciphertext), 'infrascope:endpoint:1')).toBe('old-pw');
    expect(await openCredential(store.db, vault, ep)).toBe('old-pw');
  });

  it('marks reenter when the ciphertext no longer opens', async () => {
    await storeCredential(store.db, keyFileVault(dir), 1, 'pw-1', new Date());
    await store.db
      .updateTable('credential')
      .set({ ciphertext: Buffer.from('corrupt-bytes-corrupt-bytes-corrupt') })
      .execute();
    const e = await openCredential(store.db, keyFileVault(dir), ep).then(
      () => null,
      (x: unknown) => x as AppError,
    );
    expect(e?.code).toBe('VAULT_LOCKED');
    expect(e?.message).toContain('--password-env');
    expect(await state()).toBe('reenter');
    expect(await store.db.selectFrom('credential').selectAll().execute()).toHaveLength(1);
  });
});
