import type { ReactElement } from 'react';
import type { SyncProgressEvent } from '../../../shared/contract.js';
import type { CredentialState, EndpointDto } from '../../../shared/endpoints.js';
import { formatRelative } from '../format.js';
import { can } from '../session.js';
import { useAlertBadge } from '../stores/alerts.js';
import { progressText } from '../stores/endpoints.js';
import { AlertBadge } from './alert-badge.js';
import { KIND_LABELS } from './endpoint-form.js';
import { untrustedCertificate } from './trust-dialog.js';

const CREDENTIAL_TEXT: Record<CredentialState, string> = {
  set: 'set',
  none: 'none',
  reenter: 'reenter',
};
const CREDENTIAL_TITLE: Record<CredentialState, string> = {
  set: 'A password is stored in the vault.',
  none: 'No password is stored.',
  reenter: 'The stored password cannot be opened (another vault or machine): enter it again.',
};

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const min = Math.floor(s / 60);
  const rest = Math.round(s % 60);
  if (min < 60) return rest ? `${min} min ${rest} s` : `${min} min`;
  const h = Math.floor(min / 60);
  return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
}

export interface EndpointActions {
  test(ep: EndpointDto): void;
  sync(ep: EndpointDto): void;
  cancel(ep: EndpointDto): void;
  toggle(ep: EndpointDto): void;
  edit(ep: EndpointDto): void;
  remove(ep: EndpointDto): void;
  reviewCertificate(ep: EndpointDto): void;
}

interface Props {
  readonly endpoint: EndpointDto;
  readonly progress: SyncProgressEvent | undefined;
  readonly busy: boolean;
  readonly actions: EndpointActions;
  /** Why no sync can start on this host (a team store without its key here), if so. */
  readonly syncBlocked?: string | null;
}

/** One endpoint at a glance: what it is, how its syncs go, and what can be done with it. */
export function EndpointCard({
  endpoint: ep,
  progress,
  busy,
  actions,
  syncBlocked = null,
}: Props): ReactElement {
  const st = ep.status;
  // Endpoint rules (sync failing, stale, certificate) name the endpoint by its id.
  const alertBadge = useAlertBadge(ep.name, 'endpoint', String(ep.id));
  const running = progress?.state === 'running' || (progress === undefined && st.running);
  const lastError = progress?.state === 'failed' ? (progress.error ?? st.lastError) : st.lastError;
  const untrusted = untrustedCertificate(lastError) !== null;
  const pct =
    running && progress?.done !== undefined && progress.total
      ? Math.min(100, Math.round((100 * progress.done) / progress.total))
      : null;

  return (
    <article className={`endpoint-card ${ep.enabled ? '' : 'disabled'}`} aria-label={ep.name}>
      <header className="card-head">
        <h2>{ep.name}</h2>
        <span className="kind">{KIND_LABELS[ep.kind]}</span>
        <div className="badges">
          {alertBadge && <AlertBadge info={alertBadge} />}
          {running && <span className="badge running">Running</span>}
          {st.stale && <span className="badge stale">Stale</span>}
          {st.circuitOpen && (
            <span
              className="badge circuit"
              title={`${st.consecutiveFailures} failures in a row: syncs pause until the endpoint recovers`}
            >
              Circuit open
            </span>
          )}
          {!ep.enabled && <span className="badge off">Disabled</span>}
        </div>
      </header>

      <dl className="card-facts">
        <div>
          <dt>Host</dt>
          <dd className="mono">
            {ep.host}:{ep.port}
          </dd>
        </div>
        <div>
          <dt>Username</dt>
          <dd>{ep.username || '—'}</dd>
        </div>
        <div>
          <dt>Credential</dt>
          <dd title={CREDENTIAL_TITLE[ep.credential]} data-credential={ep.credential}>
            {CREDENTIAL_TEXT[ep.credential]}
          </dd>
        </div>
        <div>
          <dt>Enabled</dt>
          <dd>{ep.enabled ? 'Yes' : 'No'}</dd>
        </div>
        <div>
          <dt>Last sync</dt>
          <dd>
            {st.lastSyncAt ? (
              <>
                <time dateTime={st.lastSyncAt} title={new Date(st.lastSyncAt).toLocaleString()}>
                  {formatRelative(st.lastSyncAt)}
                </time>
                {st.lastStatus ? ` · ${st.lastStatus}` : ''}
                {st.lastDurationMs !== null ? ` · ${formatDuration(st.lastDurationMs)}` : ''}
              </>
            ) : (
              'Never'
            )}
          </dd>
        </div>
        <div>
          <dt>Next run</dt>
          <dd>
            {!ep.enabled ? (
              'Not scheduled (disabled)'
            ) : st.nextRunAt ? (
              <time dateTime={st.nextRunAt} title={new Date(st.nextRunAt).toLocaleString()}>
                {formatRelative(st.nextRunAt)}
              </time>
            ) : (
              'Not scheduled'
            )}
          </dd>
        </div>
        <div>
          <dt>Poll interval</dt>
          <dd>{formatDuration(ep.pollIntervalSeconds * 1000)}</dd>
        </div>
        {ep.thumbprint && (
          <div className="wide">
            <dt>Pinned certificate</dt>
            <dd className="mono" data-testid="pinned-thumbprint">
              {ep.thumbprint}
            </dd>
          </div>
        )}
      </dl>

      {ep.tags.length > 0 && (
        <ul className="tags" aria-label="Tags">
          {ep.tags.map((t) => (
            <li key={t} className="tag">
              {t}
            </li>
          ))}
        </ul>
      )}

      {running && (
        <div className="sync-progress" role="status" aria-label="Sync progress">
          <span>{progress ? progressText(progress) : 'Syncing…'}</span>
          {pct !== null && (
            <progress max={100} value={pct} aria-label={`${pct}% of ${progress?.phase ?? ''}`} />
          )}
        </div>
      )}

      {!running && lastError && (
        <p className="card-error" role="note">
          <span className="mono">{lastError.code}</span>: {lastError.message}
        </p>
      )}

      <div className="card-actions">
        {can('endpoints:test') && (
          <button type="button" className="btn" disabled={busy} onClick={() => actions.test(ep)}>
            Test connection
          </button>
        )}
        {!can('sync:start') ? null : running ? (
          <button type="button" className="btn" onClick={() => actions.cancel(ep)}>
            Cancel sync
          </button>
        ) : (
          <button
            type="button"
            className="btn"
            disabled={busy || !ep.enabled || syncBlocked !== null}
            title={syncBlocked ?? (ep.enabled ? undefined : 'Enable the endpoint to sync it')}
            onClick={() => actions.sync(ep)}
          >
            Sync now
          </button>
        )}
        {untrusted && can('endpoints:trust') && (
          <button type="button" className="btn" onClick={() => actions.reviewCertificate(ep)}>
            Review certificate
          </button>
        )}
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            checked={ep.enabled}
            disabled={busy || !can('endpoints:update')}
            onChange={() => actions.toggle(ep)}
          />{' '}
          Enabled
        </label>
        <span className="spacer" />
        {can('endpoints:update') && (
          <button type="button" className="btn" onClick={() => actions.edit(ep)}>
            Edit
          </button>
        )}
        {can('endpoints:remove') && (
          <button type="button" className="btn danger" onClick={() => actions.remove(ep)}>
            Delete
          </button>
        )}
      </div>
    </article>
  );
}
