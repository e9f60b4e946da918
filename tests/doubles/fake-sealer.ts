import type { Sealer } from '../../src/main/store-setting.js';

/**
 * Stands in for Electron's safeStorage: a reversible transform keyed to this "user", never the
 * plain text; another user's sealer cannot open it, and `available: false` is a machine without
 * a keyring.
 */
export function fakeSealer(user = 'alice', available = true): Sealer {
  const key = Buffer.from(`key-of-${user}`);
  const xor = (b: Buffer): Buffer => Buffer.from(b.map((x, i) => x ^ key[i % key.length]!));
  return {
    isEncryptionAvailable: () => available,
    encryptString: (text) =>
      Buffer.concat([Buffer.from(user), Buffer.from([0]), xor(Buffer.from(text))]),
    decryptString: (sealed) => {
      const at = sealed.indexOf(0);
      if (sealed.subarray(0, at).toString() !== user) throw new Error('cannot decrypt');
      return xor(sealed.subarray(at + 1)).toString();
    },
  };
}
