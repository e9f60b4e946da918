import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { connect as tlsConnect } from 'node:tls';
import { createPinnedAgent, normalizeThumbprint, verifyPeer } from './tls-trust.js';

let server: Server;
let port: number;
let fingerprint: string;
const dir = mkdtempSync(join(tmpdir(), 'infrascope-tls-'));

beforeAll(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(dir, 'k.pem'),
      '-out',
      join(dir, 'c.pem'),
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'c.pem'));
  fingerprint = new X509Certificate(cert).fingerprint256;
  server = createServer({ key: readFileSync(join(dir, 'k.pem')), cert }, (_req, res) =>
    res.end('hello'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function get(thumbprint: string | null): Promise<string> {
  return new Promise((resolve, reject) => {
    const agent = createPinnedAgent(thumbprint);
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        agent.destroy();
        resolve(body);
      });
    });
    req.on('error', (e) => {
      agent.destroy();
      reject(e);
    });
    req.end();
  });
}

describe('pinned TLS agent', () => {
  it('accepts the pinned self-signed certificate', async () => {
    expect(await get(fingerprint)).toBe('hello');
    expect(await get(fingerprint.replace(/:/g, '').toLowerCase())).toBe('hello');
  });

  it('refuses a different pin with TLS_PIN_MISMATCH', async () => {
    const err = await get('00'.repeat(32)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('TLS_PIN_MISMATCH');
    expect((err as AppError).details).toMatchObject({ fingerprint256: fingerprint });
  });

  it('refuses an unpinned self-signed certificate', async () => {
    const err = (await get(null).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|TLS_UNTRUSTED/);
  });

  it('a socket already destroyed by another listener gets a typed refusal, not a TypeError', async () => {
    // Two secureConnect listeners (the pinned agent's and the transport's) race: the first may
    // destroy the socket, after which getPeerCertificate() returns null.
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    await new Promise<void>((r) => socket.once('secureConnect', () => r()));
    socket.destroy();
    expect(socket.getPeerCertificate()).toBeNull();
    const err = verifyPeer(socket, '00'.repeat(32), 'esx.example');
    expect(err?.code).toBe('TLS_PIN_MISMATCH');
    expect(err?.details).toMatchObject({ host: 'esx.example' });
    expect(verifyPeer(socket, fingerprint)?.code).toBe('TLS_PIN_MISMATCH');
  });

  it('normalizes thumbprints and rejects malformed ones', () => {
    expect(normalizeThumbprint('ab'.repeat(32))).toBe(Array(32).fill('AB').join(':'));
    expect(() => normalizeThumbprint('abc')).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
  });
});
