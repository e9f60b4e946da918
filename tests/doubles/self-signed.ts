import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

export interface SelfSigned {
  readonly key: string;
  readonly cert: string;
  /** Colon-separated upper-case SHA-256, as Node reports `fingerprint256`. */
  readonly fingerprint256: string;
}

/** A fresh self-signed certificate for `cn` (openssl is part of the test toolchain). */
export function makeSelfSigned(cn = 'localhost', days = 30): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        String(days),
        '-subj',
        `/CN=${cn}/O=Infrascope Test`,
        '-addext',
        `subjectAltName=DNS:${cn},IP:127.0.0.1`,
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert,
      fingerprint256: new X509Certificate(cert).fingerprint256,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
