import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

/*
 * Password hashes for team-server accounts: scrypt from node:crypto (memory-hard, no native
 * dependency), stored as `scrypt$N$r$p$salt$hash` so the cost can rise later while old hashes
 * still verify with the parameters they were made with.
 */

/** One of OWASP's equivalent scrypt minimums (N=2^15, r=8, p=3): 32 MiB and p sequential runs per try. */
const COST = { N: 2 ** 15, r: 8, p: 3 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Passwords longer than this are refused: hashing megabytes would be a cheap way to load the server. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MIN_PASSWORD_LENGTH = 10;

function derive(password: string, salt: Buffer, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem above 128·N·r so that the default 32 MiB cap does not refuse our own cost.
    scrypt(password, salt, KEY_BYTES, { ...cost, maxmem: 256 * 2 ** 20 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** A new hash of `password` with a fresh salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Whether `password` matches `stored`, compared in constant time. A malformed stored hash never
 * matches (and still costs one derivation, so it cannot be told apart by timing).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  const [kind, n, r, p, salt, hash] = parts;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const wellFormed =
    parts.length === 6 &&
    kind === 'scrypt' &&
    [cost.N, cost.r, cost.p].every((x) => Number.isSafeInteger(x) && x > 0) &&
    // scrypt takes a power of two for N; anything else would throw rather than fail to match.
    (cost.N & (cost.N - 1)) === 0 &&
    cost.N >= 2 ** 10 &&
    cost.N <= 2 ** 20 &&
    cost.r <= 16 &&
    cost.p <= 4;
  const expected = wellFormed ? Buffer.from(hash!, 'base64') : Buffer.alloc(KEY_BYTES);
  const key = await derive(
    password.slice(0, MAX_PASSWORD_LENGTH),
    wellFormed ? Buffer.from(salt!, 'base64') : Buffer.alloc(SALT_BYTES),
    wellFormed ? cost : COST,
  );
  return wellFormed && expected.length === key.length && timingSafeEqual(expected, key);
}

let dummy: Promise<string> | undefined;
/**
 * A hash of nothing anyone knows, verified when the account named does not exist, so an unknown
 * name costs the same scrypt run as a wrong password (no enumeration by timing).
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}
