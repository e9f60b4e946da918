import { Agent } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { checkServerIdentity } from 'node:tls';
import { AppError } from '../../shared/errors.js';

/** Certificate facts shown to an operator deciding whether to trust a server. */
export interface CertificateFacts {
  readonly fingerprint256: string;
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly daysToExpiry: number;
  readonly selfSigned: boolean;
}

export function normalizeThumbprint(value: string): string {
  const hex = value.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  if (hex.length !== 64) {
    throw new AppError('VALIDATION', 'A SHA-256 thumbprint has 64 hex digits (colons optional).');
  }
  return hex.match(/../g)!.join(':');
}

function dn(x: PeerCertificate['subject'] | undefined): string {
  if (!x) return '';
  return Object.entries(x)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

export function certificateFacts(cert: PeerCertificate, now = new Date()): CertificateFacts {
  const validTo = new Date(cert.valid_to ?? NaN);
  if (Number.isNaN(validTo.getTime())) {
    // An empty certificate object (e.g. a resumed session) has no facts to show.
    return {
      fingerprint256: cert.fingerprint256 ?? '',
      subject: '',
      issuer: '',
      validFrom: '',
      validTo: '',
      daysToExpiry: 0,
      selfSigned: false,
    };
  }
  return {
    fingerprint256: cert.fingerprint256,
    subject: dn(cert.subject),
    issuer: dn(cert.issuer),
    validFrom: new Date(cert.valid_from).toISOString(),
    validTo: validTo.toISOString(),
    daysToExpiry: Math.floor((validTo.getTime() - now.getTime()) / 86_400_000),
    selfSigned: dn(cert.subject) === dn(cert.issuer),
  };
}

/**
 * TLS options that trust a server whose certificate validates against the system's CAs or, failing
 * that, whose SHA-256 fingerprint equals the pinned one — and nothing else.
 *
 * Node validates against the CAs first; we turn `rejectUnauthorized` off only to run our own check,
 * which rethrows the CA failure unless the pin matches.
 */
export function pinnedTlsOptions(thumbprint: string | null): {
  rejectUnauthorized: boolean;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
} {
  const pin = thumbprint ? normalizeThumbprint(thumbprint) : null;
  return {
    rejectUnauthorized: pin === null,
    checkServerIdentity: (host, cert) => {
      if (pin === null) return checkServerIdentity(host, cert);
      if (cert.fingerprint256 === pin) return undefined;
      return new AppError(
        'TLS_PIN_MISMATCH',
        `The server's certificate (SHA-256 ${cert.fingerprint256}) does not match the pinned thumbprint ${pin}. ` +
          'If the certificate was replaced on purpose, pin the new thumbprint; otherwise do not connect.',
        { ...certificateFacts(cert), pinned: pin },
      );
    },
  };
}

/**
 * Checks a handshaken socket: trusted by the CAs (no pin) or exactly the pinned certificate.
 * Node skips `checkServerIdentity` when its own CA check already failed and `rejectUnauthorized`
 * is off, so with a pin this check is the one that counts. Returns the error, or null.
 */
export function verifyPeer(
  socket: TLSSocket,
  thumbprint: string | null,
  host?: string,
): AppError | null {
  // Null once the socket is destroyed (e.g. another listener already rejected it).
  const cert = socket.getPeerCertificate() as PeerCertificate | null;
  const where = host === undefined ? {} : { host };
  if (thumbprint === null) {
    if (socket.authorized) return null;
    const reason = String(socket.authorizationError ?? '');
    return new AppError(
      'TLS_UNTRUSTED',
      `The certificate of ${host ?? 'the server'} is not trusted (${reason}).`,
      { ...(cert?.raw ? certificateFacts(cert) : {}), ...where, cause: reason },
    );
  }
  const pin = normalizeThumbprint(thumbprint);
  if (cert?.fingerprint256 === pin) return null;
  if (!cert?.fingerprint256) {
    return new AppError(
      'TLS_PIN_MISMATCH',
      `${host ?? 'The server'} presented no certificate to check against the pinned thumbprint.`,
      { pinned: pin, ...where },
    );
  }
  const mismatch = pinnedTlsOptions(pin).checkServerIdentity(host ?? '', cert);
  return mismatch instanceof AppError
    ? new AppError(mismatch.code, mismatch.message, { ...mismatch.details, ...where })
    : new AppError('TLS_PIN_MISMATCH', 'The certificate does not match the pinned thumbprint.', {
        pinned: pin,
        ...where,
      });
}

/**
 * A keep-alive HTTPS agent enforcing {@link pinnedTlsOptions}: each new connection is checked
 * with {@link verifyPeer} on `secureConnect` and destroyed before any request byte is written.
 */
export function createPinnedAgent(
  thumbprint: string | null,
  opts: { maxSockets?: number } = {},
): Agent {
  // No TLS session resumption: a resumed session presents no certificate, and the pin must be
  // checked on every connection.
  const agent = new Agent({
    keepAlive: true,
    maxSockets: opts.maxSockets ?? 4,
    maxCachedSessions: 0,
    ...pinnedTlsOptions(thumbprint),
  });
  const create = agent.createConnection.bind(agent) as (...args: unknown[]) => TLSSocket;
  (agent as unknown as { createConnection: (...args: unknown[]) => TLSSocket }).createConnection = (
    ...args
  ) => {
    const socket = create(...args);
    socket.once('secureConnect', () => {
      const err = verifyPeer(socket, thumbprint);
      if (err) socket.destroy(err);
    });
    return socket;
  };
  return agent;
}
