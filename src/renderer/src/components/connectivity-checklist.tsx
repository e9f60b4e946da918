import type { ReactElement } from 'react';
import type { CheckStep, ConnectivityReport } from '../../../shared/endpoints.js';
import type { CertificateInfo } from './trust-dialog.js';
import { untrustedCertificate } from './trust-dialog.js';

const STATUS: Record<CheckStep['status'], { icon: string; text: string }> = {
  ok: { icon: '✓', text: 'OK' },
  warning: { icon: '!', text: 'Warning' },
  failed: { icon: '✗', text: 'Failed' },
  skipped: { icon: '–', text: 'Skipped' },
};

/** Facts worth showing under a step (the TLS step's certificate, the API's product...). */
const FACT_LABELS: Readonly<Record<string, string>> = {
  addresses: 'Addresses',
  fingerprint256: 'SHA-256 fingerprint',
  subject: 'Subject',
  issuer: 'Issuer',
  validFrom: 'Valid from',
  validTo: 'Valid to',
  daysToExpiry: 'Days to expiry',
  trustedVia: 'Trusted via',
  protocol: 'Protocol',
  product: 'Product',
  version: 'Version',
  apiType: 'API type',
  powershell: 'PowerShell',
  powershellPath: 'PowerShell path',
  hypervModule: 'Hyper-V module here',
  failoverClustersModule: 'FailoverClusters module here',
};

function factText(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** Downloads the report as a JSON file through a Blob and a link with a download attribute. */
export function downloadReport(report: ConnectivityReport): void {
  const blob = new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  a.href = url;
  a.download = `infrascope-test-${report.endpoint.replace(/[^A-Za-z0-9._-]+/g, '_')}-${stamp}.json`;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoke later: revoking at once can cancel the download in some engines.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

interface StepProps {
  readonly step: CheckStep;
  readonly onReviewCertificate: ((certificate: CertificateInfo) => void) | undefined;
}

function Step({ step, onReviewCertificate }: StepProps): ReactElement {
  const s = STATUS[step.status];
  const certificate = untrustedCertificate(step.error);
  const facts = Object.entries(step.facts ?? {}).filter(
    (entry): entry is [string, string | number | boolean] =>
      entry[1] !== null && FACT_LABELS[entry[0]] !== undefined,
  );
  return (
    <li className={`check-step ${step.status}`} aria-label={`${step.label}: ${s.text}`}>
      <div className="check-head">
        <span className="check-icon" aria-hidden="true">
          {s.icon}
        </span>
        <span className="check-label">{step.label}</span>
        <span className="check-status">{s.text}</span>
        <span className="check-duration">{step.durationMs.toLocaleString()} ms</span>
      </div>
      <p className="check-detail">{step.detail}</p>
      {step.error && (
        <p className="check-error">
          <span className="mono">{step.error.code}</span>
          {step.error.message !== step.detail ? `: ${step.error.message}` : ''}
        </p>
      )}
      {facts.length > 0 && (
        <dl className="facts">
          {facts.map(([k, v]) => (
            <div key={k} className="fact">
              <dt>{FACT_LABELS[k]}</dt>
              <dd className={k === 'fingerprint256' ? 'mono' : ''}>{factText(v)}</dd>
            </div>
          ))}
        </dl>
      )}
      {certificate && onReviewCertificate && (
        <button
          type="button"
          className="btn check-action"
          onClick={() => onReviewCertificate(certificate)}
        >
          Review certificate
        </button>
      )}
    </li>
  );
}

interface Props {
  readonly report: ConnectivityReport;
  /** Offered on a step that failed on an untrusted certificate. */
  readonly onReviewCertificate?: (certificate: CertificateInfo) => void;
}

/** The connectivity checklist: (local →) dns → tcp → tls → api → login → permission, each with its outcome. */
export function ConnectivityChecklist({ report, onReviewCertificate }: Props): ReactElement {
  const failed = report.steps.find((s) => s.status === 'failed');
  return (
    <div className="checklist">
      <p className={`check-summary ${report.ok ? 'ok' : 'failed'}`}>
        {report.ok
          ? `${report.endpoint} (${report.host}:${report.port}) passed every check.`
          : `${report.endpoint} (${report.host}:${report.port}) failed at ${failed?.label ?? 'a step'}.`}
      </p>
      <ol className="check-steps" aria-label="Checklist">
        {report.steps.map((step) => (
          <Step key={step.id} step={step} onReviewCertificate={onReviewCertificate} />
        ))}
      </ol>
    </div>
  );
}
