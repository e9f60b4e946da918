import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeSealer } from '../../tests/doubles/fake-sealer.js';
import { OWN_FRAME, STRANGER_FRAME, fakeIpc } from '../../tests/doubles/fake-ipc.js';
import { makeCore } from '../../tests/doubles/core-harness.js';
import type { CoreHarness } from '../../tests/doubles/core-harness.js';
import { stopSharedPostgres } from '../../tests/helpers/postgres.js';
import { testStoreLocation } from '../../tests/helpers/store.js';
import { claimStoreKey } from '../core/vault/team-key-vault.js';
import { keyIdOf } from '../core/vault/store-key.js';
import type { DesktopReply } from '../shared/contract.js';
import { DESKTOP_CHANNELS } from '../shared/contract.js';
import {
  SAVED_KEY_SOURCE,
  STORE_KEY_SETTING_FILE,
  chooseDesktopStoreKey,
  readStoreKeySetting,
  savedKeyFailed,
  writeStoreKeySetting,
} from './store-key-setting.js';

vi.mock('electron', () => ({
  BrowserWindow: vi.fn(),
  shell: { openExternal: vi.fn() },
  protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
  net: { fetch: vi.fn() },
}));

const { registerStoreKeyAction } = await import('./store-key-action.js');

afterAll(stopSharedPostgres);

/** The team's key, and the forms a person pastes it in. */
const KEY = randomBytes(32);
const B64 = KEY.toString('base64');
const HEX = KEY.toString('hex');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infrascope-store-key-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A key file as `infrascope store key generate` writes it (0600), with `text` in it. */
function keyFile(text: string, mode = 0o600): string {
  const file = join(dir, `team-${randomBytes(4).toString('hex')}.key`);
  writeFileSync(file, `${text}\n`, { mode });
  return file;
}

describe('the desktop team store key setting', () => {
  it('keeps a pasted key sealed by the OS, never in the clear, and gives the same key back', () => {
    writeStoreKeySetting(dir, fakeSealer(), { text: `  ${HEX}\n` });
    const file = join(dir, STORE_KEY_SETTING_FILE);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(HEX);
    expect(text).not.toContain(B64);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([STORE_KEY_SETTING_FILE]);
    const back = readStoreKeySetting(dir, fakeSealer());
    expect(back?.key.equals(KEY)).toBe(true);
    expect(back?.source).toBe(SAVED_KEY_SOURCE);
  });

  it('keeps a key file by its path and reads the file at each start', () => {
    const path = keyFile(B64);
    writeStoreKeySetting(dir, fakeSealer(), { file: path });
    expect(readFileSync(join(dir, STORE_KEY_SETTING_FILE), 'utf8')).not.toContain(B64);
    expect(readStoreKeySetting(dir, fakeSealer())).toEqual({
      key: KEY,
      source: `key file ${path}`,
    });
    // The team rotates the file: the next start reads the new key.
    const next = randomBytes(32);
    writeFileSync(path, next.toString('hex'));
    expect(readStoreKeySetting(dir, fakeSealer())?.key.equals(next)).toBe(true);
  });

  it('refuses what is no key, a key file others can read, and a key the OS cannot seal, saving nothing', () => {
    const notAKey = 'correct horse battery staple';
    let thrown: unknown;
    try {
      writeStoreKeySetting(dir, fakeSealer(), { text: notAKey });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'STORE_KEY_INVALID' });
    expect(String((thrown as Error).message)).not.toContain('horse');
    expect(() => writeStoreKeySetting(dir, fakeSealer(), { file: keyFile(B64, 0o644) })).toThrow(
      expect.objectContaining({
        code: 'STORE_KEY_INVALID',
        message: expect.stringContaining('chmod 600'),
      }),
    );
    expect(() => writeStoreKeySetting(dir, fakeSealer(), { file: 'team.key' })).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
    expect(() => writeStoreKeySetting(dir, fakeSealer('alice', false), { text: B64 })).toThrow(
      expect.objectContaining({ code: 'VAULT_UNAVAILABLE' }),
    );
    expect(readdirSync(dir).filter((f) => f === STORE_KEY_SETTING_FILE)).toEqual([]);
  });

  it('answers STORE_KEY_INVALID for a key another user sealed, which the start-up dialog offers to drop', () => {
    writeStoreKeySetting(dir, fakeSealer('alice'), { text: B64 });
    let thrown: unknown;
    try {
      readStoreKeySetting(dir, fakeSealer('mallory'));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({
      code: 'STORE_KEY_INVALID',
      message: expect.stringContaining('another user or machine'),
    });
    expect(savedKeyFailed(thrown, {})).toBe(true);
    // The environment's key is the user's to fix: no offer to drop the saved one.
    expect(savedKeyFailed(thrown, { INFRASCOPE_STORE_KEY: 'x' })).toBe(false);
    writeFileSync(join(dir, STORE_KEY_SETTING_FILE), 'not json');
    expect(() => readStoreKeySetting(dir, fakeSealer())).toThrow(
      expect.objectContaining({ code: 'STORE_KEY_INVALID' }),
    );
  });

  it('lets INFRASCOPE_STORE_KEY and INFRASCOPE_STORE_KEY_FILE win over the setting; forgetting means none', () => {
    writeStoreKeySetting(dir, fakeSealer(), { text: B64 });
    const base = { dataDir: dir, sealer: fakeSealer() };
    expect(chooseDesktopStoreKey({ ...base, env: {} }).source).toBe('settings');
    const other = randomBytes(32);
    const fromEnv = chooseDesktopStoreKey({
      ...base,
      env: { INFRASCOPE_STORE_KEY: other.toString('base64') },
    });
    expect(fromEnv.source).toBe('environment');
    expect(fromEnv.key?.key.equals(other)).toBe(true);
    const path = keyFile(other.toString('hex'));
    expect(
      chooseDesktopStoreKey({ ...base, env: { INFRASCOPE_STORE_KEY_FILE: path } }).key,
    ).toEqual({ key: other, source: `key file ${path}` });
    writeStoreKeySetting(dir, fakeSealer(), null);
    expect(chooseDesktopStoreKey({ ...base, env: {} })).toEqual({ key: null, source: 'none' });
  });
});

describe('Settings → Store: giving the desktop the team store key (IPC)', () => {
  const { ipc, handlers, call } = fakeIpc();
  const relaunch = vi.fn<() => void>();
  let h: CoreHarness;

  /** Main's action over `h`, saving through the real setting with the fake safeStorage. */
  function register(source: 'environment' | 'settings' | 'none' = 'none'): void {
    handlers.clear();
    registerStoreKeyAction(ipc, {
      core: h.core,
      source,
      save: (input) => writeStoreKeySetting(dir, fakeSealer(), input),
      relaunch,
    });
  }
  const give = (key: unknown, event: object = OWN_FRAME): Promise<unknown> =>
    call(DESKTOP_CHANNELS.setStoreKey, event, key);
  const saved = (): boolean => readdirSync(dir).includes(STORE_KEY_SETTING_FILE);

  beforeEach(async () => {
    relaunch.mockClear();
    // A desktop that opened a team store without a key: it reads, it cannot sync.
    h = await makeCore({ store: await testStoreLocation('postgres'), storeKey: null });
    // The first collector host sealed a password with the team's key: the store knows its id.
    await claimStoreKey(h.core.store.db, KEY);
    register();
  });
  afterEach(async () => {
    await h.close();
  });

  it("takes the store's key, saves it sealed and restarts; the reply and the log carry no key", async () => {
    vi.useFakeTimers();
    try {
      const reply = await give({ text: B64 });
      expect(reply).toEqual({ ok: true, result: { restarting: true } });
      expect(readStoreKeySetting(dir, fakeSealer())?.key.equals(KEY)).toBe(true);
      expect(relaunch).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(500);
      expect(relaunch).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
    const logs = h.logs.join('');
    expect(logs).toContain(keyIdOf(KEY));
    for (const form of [B64, HEX]) expect(logs).not.toContain(form);
  });

  it('answers STORE_KEY_MISMATCH for another key, naming both ids, and saves nothing', async () => {
    const wrong = randomBytes(32);
    const reply = (await give({ file: keyFile(wrong.toString('base64')) })) as DesktopReply<never>;
    expect(reply).toMatchObject({ ok: false, error: { code: 'STORE_KEY_MISMATCH' } });
    if (reply.ok) return;
    expect(reply.error.message).toContain(keyIdOf(wrong));
    expect(reply.error.message).toContain(keyIdOf(KEY));
    const text = JSON.stringify(reply);
    for (const form of [wrong.toString('base64'), wrong.toString('hex')])
      expect(text).not.toContain(form);
    expect(saved()).toBe(false);
    expect(relaunch).not.toHaveBeenCalled();
  });

  it('refuses a bad key without echoing it, untrusted frames, and anything not a key, saving nothing', async () => {
    const junk = 'not-a-key-but-a-secret-sentence';
    const bad = (await give({ text: junk })) as DesktopReply<never>;
    expect(bad).toMatchObject({ ok: false, error: { code: 'STORE_KEY_INVALID' } });
    expect(JSON.stringify(bad)).not.toContain(junk);
    expect(await give({ text: B64 }, STRANGER_FRAME)).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    for (const notInput of [B64, { text: B64, file: '/k' }, { text: 42 }, [], { text: '' }])
      expect(await give(notInput)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(saved()).toBe(false);
    expect(relaunch).not.toHaveBeenCalled();
  });

  it("leaves the environment's key alone, and a local store has no team key", async () => {
    register('environment');
    expect(await give({ text: B64 })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', message: expect.stringContaining('INFRASCOPE_STORE_KEY') },
    });
    await h.close();
    h = await makeCore();
    register();
    expect(await give({ text: B64 })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', message: expect.stringContaining('local store') },
    });
    expect(saved()).toBe(false);
  });

  it('forgets the saved key and restarts', async () => {
    writeStoreKeySetting(dir, fakeSealer(), { text: B64 });
    register('settings');
    vi.useFakeTimers();
    try {
      expect(await give(null)).toEqual({ ok: true, result: { restarting: true } });
      await vi.advanceTimersByTimeAsync(500);
    } finally {
      vi.useRealTimers();
    }
    expect(saved()).toBe(false);
    expect(relaunch).toHaveBeenCalledTimes(1);
  });
});
