import type { IpcMain } from 'electron';
import type { Core } from '../core/core.js';
import { STORE_KEY_ENV, STORE_KEY_FILE_ENV, keyIdOf } from '../core/vault/store-key.js';
import { storeKeyMismatch, teamKeyVault } from '../core/vault/team-key-vault.js';
import type { DesktopReply, DesktopStoreKey } from '../shared/contract.js';
import { DESKTOP_CHANNELS } from '../shared/contract.js';
import { AppError, serializeError } from '../shared/errors.js';
import { isTrustedSender } from './ipc.js';
import type { StoreKeySource } from './store-key-setting.js';
import { storeKeyOfInput } from './store-key-setting.js';

/*
 * Settings → Store → the team store key (desktop). The page hands main the key (pasted, or a key
 * file's path) and gets back only whether it was taken: main checks it against the open team
 * store — a key that is not the store's is STORE_KEY_MISMATCH, and nothing is saved — then saves
 * it (sealed by the OS) and restarts, so the core opens with it. Replies, errors and logs name the
 * key by its id at most, never its text.
 */

export interface StoreKeyActionDeps {
  readonly core: Pick<Core, 'store' | 'log'>;
  /** Where the key the app opened with came from: the environment's wins over Settings. */
  readonly source: StoreKeySource;
  /** Saves the key for the next start (null: forgets it); store-key-setting.ts. */
  save(input: DesktopStoreKey | null): void;
  /** Restarts the app, which opens the store with the saved key. */
  relaunch(): void;
}

/** Key text is 64 hex digits or 44 base64 characters; a path is shorter than this. */
const MAX_TEXT = 256;
const MAX_PATH = 4096;

/** The page's input, if it is one: null, `{ text }` or `{ file }`, nothing else. */
function inputOf(raw: unknown): DesktopStoreKey | null | undefined {
  if (raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length !== 1) return undefined;
  if (typeof o['text'] === 'string' && o['text'].trim() !== '' && o['text'].length <= MAX_TEXT)
    return { text: o['text'] };
  if (typeof o['file'] === 'string' && o['file'] !== '' && o['file'].length <= MAX_PATH)
    return { file: o['file'] };
  return undefined;
}

/** Registers the team store key action; returns its removal. */
export function registerStoreKeyAction(ipcMain: IpcMain, deps: StoreKeyActionDeps): () => void {
  ipcMain.handle(
    DESKTOP_CHANNELS.setStoreKey,
    async (event, raw: unknown): Promise<DesktopReply<{ restarting: true }>> => {
      if (!isTrustedSender(event))
        return {
          ok: false,
          error: { code: 'FORBIDDEN', message: 'Request from an untrusted frame' },
        };
      try {
        const input = inputOf(raw);
        if (input === undefined)
          throw new AppError(
            'VALIDATION',
            'A team store key is its text (base64 or hex of 32 bytes) or the full path of a key file.',
          );
        if (deps.core.store.engine !== 'postgres')
          throw new AppError(
            'VALIDATION',
            'This app uses the local store, whose passwords the OS keeps: a team store key is for a team store.',
          );
        if (deps.source === 'environment')
          throw new AppError(
            'VALIDATION',
            `This app was given the team store key by ${STORE_KEY_ENV} or ${STORE_KEY_FILE_ENV}, which win over Settings: change it there.`,
          );
        let keyId: string | null = null;
        if (input !== null) {
          const key = storeKeyOfInput(input);
          try {
            const info = await teamKeyVault(key).status(deps.core.store.db);
            if (info.state === 'mismatch')
              throw storeKeyMismatch(key.source, info.keyId ?? '', info.storeKeyId ?? '');
            keyId = keyIdOf(key.key);
          } finally {
            key.key.fill(0);
          }
        }
        deps.save(input);
        deps.core.log.info(
          { keyId, from: input === null ? null : 'file' in input ? 'key file' : 'pasted' },
          input === null
            ? 'the team store key given in Settings was forgotten; restarting'
            : 'the team store key was given in Settings; restarting',
        );
      } catch (e) {
        return { ok: false, error: serializeError(e) };
      }
      // The reply reaches the page before the app goes.
      setTimeout(() => deps.relaunch(), 200);
      return { ok: true, result: { restarting: true } };
    },
  );
  return () => ipcMain.removeHandler(DESKTOP_CHANNELS.setStoreKey);
}
