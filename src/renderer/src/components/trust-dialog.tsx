import { useState } from 'react';
import type { ReactElement } from 'react';
import type { EndpointDto } from '../../../shared/endpoints.js';
import type { SerializedError } from '../../../shared/errors.js';
import { api } from '../transport.js';
import { Dialog } from './dialog.js';
import { errorText } from '../format.js';

/** What an operator needs to decide whether to trust a server's certificate. */
export interface CertificateInfo {
  readonly fingerprint256: string;
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly selfSigned: boolean | null;
  /** Why the system refused it, e.g. DEPTH_ZERO_SELF_SIGNED_CERT. */
  readonly reason: string | null;
}

function text(details: Readonly<Record<string, unknown>>, key: string): string {
  const v = details[key];
  return typeof v === 'string' ? v : '';
}

/**
 * The certificate facts of a TLS_UNTRUSTED error, or null when the error is something else (or
 * carries no fingerprint, so there would be nothing to trust).
 */
export function untrustedCertificate(
  error: Pick<SerializedError, 'code' | 'details'> | null | undefined,
): CertificateInfo | null {
  if (!error || error.code !== 'TLS_UNTRUSTED' || !error.details) return null;
  const d = error.details;
  const fingerprint256 = text(d, 'fingerprint256');
  if (!fingerprint256) return null;
  return {
    fingerprint256,
    subject: text(d, 'subject'),
    issuer: text(d, 'issuer'),
    validFrom: text(d, 'validFrom'),
    validTo: text(d, 'validTo'),
    selfSigned: typeof d['selfSigned'] === 'boolean' ? d['selfSigned'] : null,
    reason: text(d, 'reason') || null,
  };
}

function formatDate(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso || 'unknown' : new Date(t).toLocaleString();
}

interface Props {
  readonly endpoint: Pick<EndpointDto, 'id' | 'name' | 'host' | 'port'>;
  readonly certificate: CertificateInfo;
  readonly onTrusted: (endpoint: EndpointDto) => void;
  readonly onClose: () => void;
}

/** Shows an untrusted certificate and, on the user's word, pins its SHA-256 fingerprint. */
export function TrustDialog({ endpoint, certificate, onTrusted, onClose }: Props): ReactElement {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const c = certificate;
  const expired = Date.parse(c.validTo) < Date.now();

  const trust = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const updated = await api.invoke('endpoints:trust', {
        id: endpoint.id,
        thumbprint: c.fingerprint256,
      });
      onTrusted(updated);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };

  return (
    <Dialog label="Untrusted certificate" onClose={onClose} className="trust-dialog">
      <h2>Untrusted certificate</h2>
      <p>
        The certificate of{' '}
        <strong>
          {endpoint.host}:{endpoint.port}
        </strong>{' '}
        ({endpoint.name}) is not trusted by this computer
        {c.reason ? ` (${c.reason})` : ''}
        {c.selfSigned ? '; it is self-signed' : ''}. Compare the fingerprint with the one shown by
        the server before you trust it.
      </p>
      <dl className="facts">
        <dt>SHA-256 fingerprint</dt>
        <dd className="mono" data-testid="certificate-fingerprint">
          {c.fingerprint256}
        </dd>
        <dt>Subject</dt>
        <dd>{c.subject || 'unknown'}</dd>
        <dt>Issuer</dt>
        <dd>{c.issuer || 'unknown'}</dd>
        <dt>Valid from</dt>
        <dd>{formatDate(c.validFrom)}</dd>
        <dt>Valid to</dt>
        <dd>
          {formatDate(c.validTo)}
          {expired ? ' (expired)' : ''}
        </dd>
      </dl>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button type="button" className="btn primary" disabled={busy} onClick={() => void trust()}>
          {busy ? 'Trusting…' : 'Trust this certificate'}
        </button>
      </div>
    </Dialog>
  );
}
