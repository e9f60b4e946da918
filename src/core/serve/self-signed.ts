import { X509Certificate, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/*
 * `serve --tls-self-signed`: an ECDSA P-256 certificate made here, with no OpenSSL binary or
 * package (Windows has neither by default). node:crypto makes the key and the signature; the few
 * DER structures of an X.509 v3 certificate are encoded below. Kept in the data directory (the
 * key 0600) so the fingerprint the desktop app pinned stays valid across restarts.
 */

const CERT_FILE = 'serve-cert.pem';
const KEY_FILE = 'serve-key.pem';

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len =
    n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...parts: Buffer[]): Buffer => der(0x30, Buffer.concat(parts));
const oid = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) chunk.unshift((x & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
};
const utf8 = (s: string): Buffer => der(0x0c, Buffer.from(s, 'utf8'));
const time = (d: Date): Buffer =>
  // GeneralizedTime works for every year; RFC 5280 wants UTCTime before 2050, which these are not always.
  d.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'))
    : der(0x18, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'));
const name = (cn: string): Buffer => seq(der(0x31, seq(oid('2.5.4.3'), utf8(cn))));

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const halves = ip.split('::');
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const all = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

/** A self-signed certificate (PEM) and its key (PEM) for `names` (DNS names or IP addresses). */
export function makeSelfSignedCertificate(
  names: readonly string[],
  now: Date = new Date(),
  days = 825,
): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const san = seq(
    ...names.map((n) => (isIP(n) ? der(0x87, ipBytes(n)) : der(0x82, Buffer.from(n, 'ascii')))),
  );
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f; // positive INTEGER
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, serial),
    ecdsaSha256,
    name(names[0] ?? 'infrascope'),
    seq(
      time(new Date(now.getTime() - 3_600_000)),
      time(new Date(now.getTime() + days * 86_400_000)),
    ),
    name(names[0] ?? 'infrascope'),
    publicKey.export({ type: 'spki', format: 'der' }),
    der(
      0xa3,
      seq(
        seq(oid('2.5.29.17'), der(0x04, san)),
        // Not a CA: the certificate can only stand for this server.
        seq(oid('2.5.29.19'), der(0x01, Buffer.from([0xff])), der(0x04, seq())),
        seq(oid('2.5.29.37'), der(0x04, seq(oid('1.3.6.1.5.5.7.3.1')))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certDer = seq(tbs, ecdsaSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = certDer.toString('base64').replace(/.{64}/g, '$&\n');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * The data directory's serve certificate, made on first use for `names`. Returns the PEMs and the
 * SHA-256 fingerprint (colon-separated, as Node and the desktop's pin show it).
 */
export function selfSignedInDataDir(
  dataDir: string,
  names: readonly string[],
): { cert: string; key: string; fingerprint256: string; created: boolean } {
  const certFile = join(dataDir, CERT_FILE);
  const keyFile = join(dataDir, KEY_FILE);
  let created = false;
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    const made = makeSelfSignedCertificate(names);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, made.key, { mode: 0o600 });
    writeFileSync(certFile, made.cert, { mode: 0o644 });
    created = true;
  }
  // Whatever made it, the key is for us alone.
  chmodSync(keyFile, 0o600);
  const cert = readFileSync(certFile, 'utf8');
  return {
    cert,
    key: readFileSync(keyFile, 'utf8'),
    fingerprint256: new X509Certificate(cert).fingerprint256,
    created,
  };
}
