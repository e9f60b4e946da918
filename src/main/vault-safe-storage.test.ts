import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: vi.fn(() => true),
    getSelectedStorageBackend: vi.fn(() => 'gnome_libsecret'),
    encryptString: vi.fn((s: string) => Buffer.from(`enc:${s}`)),
    decryptString: vi.fn((b: Buffer) => {
      const s = b.toString('utf8');
      if (!s.startsWith('enc:'))
        throw new Error(
          'Error while decrypting the ciphertext provided to safeStorage.decryptString.',
        );
      return s.slice(4);
    }),
  },
}));

const { safeStorage } = await import('electron');
const { safeStorageVault } = await import('./vault-safe-storage.js');

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'none';
}

beforeEach(() => {
  vi.mocked(safeStorage.isEncryptionAvailable).mockReturnValue(true);
  vi.mocked(safeStorage.getSelectedStorageBackend).mockReturnValue('gnome_libsecret');
});

describe('safeStorageVault', () => {
  it('seals and opens through Electron safeStorage, with the backend in its id', () => {
    const vault = safeStorageVault(undefined, { platform: 'linux' });
    expect(vault.id).toBe('safeStorage:gnome_libsecret');
    expect(vault.canSeal()).toBe(true);
    expect(vault.open(vault.seal('pw'))).toBe('pw');
    expect(vi.mocked(safeStorage.encryptString)).toHaveBeenCalledWith('pw');
  });

  it('names the macOS and Windows backends', () => {
    expect(safeStorageVault(undefined, { platform: 'darwin' }).id).toBe('safeStorage:keychain');
    expect(safeStorageVault(undefined, { platform: 'win32' }).id).toBe('safeStorage:dpapi');
  });

  it('refuses basic_text (no keyring) unless the user opted in', () => {
    vi.mocked(safeStorage.getSelectedStorageBackend).mockReturnValue('basic_text');
    const refused = safeStorageVault(undefined, { platform: 'linux' });
    expect(refused.id).toBe('safeStorage:basic_text');
    expect(refused.weak).toBe(true);
    expect(refused.canSeal()).toBe(false);
    expect(code(() => refused.seal('pw'))).toBe('VAULT_UNAVAILABLE');
    const allowed = safeStorageVault(undefined, { platform: 'linux', allowBasicText: true });
    expect(allowed.canSeal()).toBe(true);
    expect(allowed.open(allowed.seal('pw'))).toBe('pw');
  });

  it('refuses when encryption is unavailable, and reports undecryptable secrets as VAULT_LOCKED', () => {
    vi.mocked(safeStorage.isEncryptionAvailable).mockReturnValue(false);
    const vault = safeStorageVault(undefined, { platform: 'linux' });
    expect(vault.canSeal()).toBe(false);
    expect(code(() => vault.seal('pw'))).toBe('VAULT_UNAVAILABLE');
    vi.mocked(safeStorage.isEncryptionAvailable).mockReturnValue(true);
    expect(code(() => vault.open(Buffer.from('garbage')))).toBe('VAULT_LOCKED');
  });
});
