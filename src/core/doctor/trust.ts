import { AppError } from '../../shared/errors.js';
import type { CertificateFacts } from '../net/tls-trust.js';
import { certificateFacts, normalizeThumbprint } from '../net/tls-trust.js';
import type { TlsInspection } from './probes.js';

export interface TrustDecision {
  /** How the certificate is trusted. */
  readonly via: 'pin' | 'ca' | 'first-use';
  /** The thumbprint later connections must pin (null: the system CAs vouch for the server). */
  readonly thumbprint: string | null;
  readonly facts: CertificateFacts;
}

export interface TrustPolicy {
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly pinned: string | null;
  /** Pin whatever the server shows on this contact (the user asked for trust on first use). */
  readonly trustOnFirstUse: boolean;
  readonly now: Date;
}

/**
 * Decides whether to trust a certificate seen in a handshake: a pin must match exactly (a
 * mismatch is refused, never silently re-pinned); without a pin the system CAs decide, unless the
 * user asked to trust on first use. An untrusted certificate fails with its facts and the two ways
 * to trust it.
 */
export function evaluateTrust(seen: TlsInspection, policy: TrustPolicy): TrustDecision {
  const facts = certificateFacts(seen.cert, policy.now);
  if (policy.pinned !== null) {
    const pin = normalizeThumbprint(policy.pinned);
    if (facts.fingerprint256 === pin) return { via: 'pin', thumbprint: pin, facts };
    throw new AppError(
      'TLS_PIN_MISMATCH',
      `The certificate of ${policy.host}:${policy.port} changed: it is now SHA-256 ${facts.fingerprint256}, ` +
        `but "${policy.endpoint}" is pinned to ${pin}. If the certificate was replaced on purpose, check the new ` +
        `one and pin it (\`infrascope endpoint set "${policy.endpoint}" --thumbprint ${facts.fingerprint256}\`); ` +
        'otherwise do not connect: someone may be intercepting the traffic.',
      { ...facts, pinned: pin, host: policy.host, port: policy.port },
    );
  }
  if (seen.authorized) return { via: 'ca', thumbprint: null, facts };
  if (policy.trustOnFirstUse) return { via: 'first-use', thumbprint: facts.fingerprint256, facts };
  throw new AppError(
    'TLS_UNTRUSTED',
    `The certificate of ${policy.host}:${policy.port} is not trusted (${seen.authorizationError ?? 'unknown issuer'}` +
      `${facts.selfSigned ? ', self-signed' : ''}). Subject: ${facts.subject}; issuer: ${facts.issuer}; ` +
      `valid ${facts.validFrom.slice(0, 10)} to ${facts.validTo.slice(0, 10)}; SHA-256 ${facts.fingerprint256}. ` +
      `If this is the certificate you expect, pin it: \`infrascope endpoint set "${policy.endpoint}" --thumbprint ` +
      `${facts.fingerprint256}\` (or choose Trust in the app), or use --trust-on-first-use.`,
    { ...facts, reason: seen.authorizationError, host: policy.host, port: policy.port },
  );
}
