import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import type { SyncProgressEvent } from '../../../shared/contract.js';
import type { StoreKeyInfo } from '../../../shared/app.js';
import type { ConnectivityReport, EndpointDto } from '../../../shared/endpoints.js';
import { isAppError } from '../../../shared/errors.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ConnectivityChecklist, downloadReport } from '../components/connectivity-checklist.js';
import type { EndpointActions } from '../components/endpoint-card.js';
import { EndpointCard } from '../components/endpoint-card.js';
import { EndpointForm } from '../components/endpoint-form.js';
import type { CertificateInfo } from '../components/trust-dialog.js';
import { TrustDialog, untrustedCertificate } from '../components/trust-dialog.js';
import { connectEndpointEvents, useEndpoints } from '../stores/endpoints.js';
import { api } from '../transport.js';
import { can } from '../session.js';
import { errorText } from '../format.js';

type Editing = { mode: 'add' } | { mode: 'edit'; endpoint: EndpointDto } | null;

interface TestState {
  readonly endpoint: EndpointDto;
  readonly running: boolean;
  readonly report: ConnectivityReport | null;
  readonly error: string | null;
}

interface TrustState {
  readonly endpoint: EndpointDto;
  readonly certificate: CertificateInfo;
}

/** The certificate a test stopped at, from the failed TLS step (or any step that says so). */
function certificateOfReport(report: ConnectivityReport): CertificateInfo | null {
  for (const step of report.steps) {
    const cert = untrustedCertificate(step.error);
    if (cert) return cert;
  }
  return null;
}

/**
 * The endpoints page: a status card per endpoint with its live sync progress, the add/edit form,
 * the connectivity test with its checklist, certificate trust, and delete with confirmation.
 */
export function EndpointsPage(): ReactElement {
  const { endpoints, loaded, error: loadError, progress, refresh } = useEndpoints();
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<EndpointDto | null>(null);
  const [test, setTest] = useState<TestState | null>(null);
  const [trust, setTrust] = useState<TrustState | null>(null);
  const [busy, setBusy] = useState<ReadonlySet<number>>(new Set());
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  // Syncs started from this page: if one fails on an untrusted certificate, offer to trust it.
  const requestedSyncs = useRef(new Set<number>());

  const onProgress = useCallback((event: SyncProgressEvent) => {
    if (event.state === 'running' || !requestedSyncs.current.has(event.endpointId)) return;
    requestedSyncs.current.delete(event.endpointId);
    const certificate = untrustedCertificate(event.error);
    const endpoint = useEndpoints.getState().endpoints.find((e) => e.id === event.endpointId);
    if (certificate && endpoint) setTrust({ endpoint, certificate });
  }, []);

  useEffect(() => connectEndpointEvents(onProgress), [onProgress]);

  // A team store without its key on this host: the list reads, syncs and passwords cannot.
  const [storeKey, setStoreKey] = useState<StoreKeyInfo | null>(null);
  useEffect(() => {
    let live = true;
    api.invoke('app:info', {}).then(
      (info) => live && setStoreKey(info.storeKey),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  const syncBlocked = storeKey?.message ?? null;

  const withBusy = async (ep: EndpointDto, work: () => Promise<void>): Promise<void> => {
    setBusy((b) => new Set(b).add(ep.id));
    setFailure(null);
    try {
      await work();
    } catch (e) {
      setFailure(`${ep.name}: ${errorText(e)}`);
    } finally {
      setBusy((b) => {
        const next = new Set(b);
        next.delete(ep.id);
        return next;
      });
    }
  };

  const runTest = async (ep: EndpointDto): Promise<void> => {
    setTest({ endpoint: ep, running: true, report: null, error: null });
    setNotice(null);
    try {
      const report = await api.invoke('endpoints:test', { id: ep.id });
      setTest({ endpoint: ep, running: false, report, error: null });
      const certificate = certificateOfReport(report);
      if (certificate) setTrust({ endpoint: ep, certificate });
    } catch (e) {
      setTest({ endpoint: ep, running: false, report: null, error: errorText(e) });
      const certificate = isAppError(e) ? untrustedCertificate(e) : null;
      if (certificate) setTrust({ endpoint: ep, certificate });
    }
  };

  const actions: EndpointActions = {
    test: (ep) => void runTest(ep),
    sync: (ep) =>
      void withBusy(ep, async () => {
        requestedSyncs.current.add(ep.id);
        try {
          const res = await api.invoke('sync:start', { ids: [ep.id] });
          setNotice(
            res.alreadyRunning.includes(ep.name)
              ? `A sync of ${ep.name} is already running.`
              : `Sync of ${ep.name} started.`,
          );
        } catch (e) {
          requestedSyncs.current.delete(ep.id);
          const certificate = isAppError(e) ? untrustedCertificate(e) : null;
          if (certificate) setTrust({ endpoint: ep, certificate });
          throw e;
        }
      }),
    cancel: (ep) =>
      void withBusy(ep, async () => {
        const res = await api.invoke('sync:cancel', { id: ep.id });
        setNotice(
          res.cancelled ? `Cancelling the sync of ${ep.name}.` : `${ep.name} is not syncing.`,
        );
      }),
    toggle: (ep) =>
      void withBusy(ep, async () => {
        await api.invoke('endpoints:update', { id: ep.id, enabled: !ep.enabled });
        setNotice(`${ep.name} ${ep.enabled ? 'disabled' : 'enabled'}.`);
        await refresh();
      }),
    edit: (ep) => setEditing({ mode: 'edit', endpoint: ep }),
    remove: (ep) => setDeleting(ep),
    reviewCertificate: (ep) => {
      const p = progress[ep.id];
      const certificate =
        untrustedCertificate(p?.state === 'failed' ? p.error : null) ??
        untrustedCertificate(ep.status.lastError);
      if (certificate) setTrust({ endpoint: ep, certificate });
    },
  };

  return (
    <section className="page scroll" aria-label="Endpoints">
      <header className="page-header">
        <h1>Endpoints</h1>
        <div className="toolbar">
          {can('endpoints:add') && (
            <button
              type="button"
              className="btn primary"
              onClick={() => setEditing({ mode: 'add' })}
            >
              Add endpoint
            </button>
          )}
        </div>
        <span className="count">
          {loaded ? `${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'}` : 'Loading…'}
        </span>
      </header>

      <div role="status" className="notice" aria-live="polite">
        {notice}
      </div>
      {syncBlocked && (
        <div role="alert" className="error" aria-label="Team store key">
          {syncBlocked}
        </div>
      )}
      {(failure ?? loadError) && (
        <div role="alert" className="error">
          {failure ?? loadError}
        </div>
      )}

      {test && (
        <section className="test-panel" aria-label="Connection test">
          <header className="panel-head">
            <h2>Connection test: {test.endpoint.name}</h2>
            <div className="panel-actions">
              <button
                type="button"
                className="btn"
                disabled={!test.report}
                onClick={() => test.report && downloadReport(test.report)}
              >
                Save report
              </button>
              <button
                type="button"
                className="btn"
                disabled={test.running}
                onClick={() => {
                  const current = endpoints.find((e) => e.id === test.endpoint.id) ?? test.endpoint;
                  void runTest(current);
                }}
              >
                Test again
              </button>
              <button type="button" className="btn" onClick={() => setTest(null)}>
                Close
              </button>
            </div>
          </header>
          {test.running && <p role="status">Testing {test.endpoint.name}…</p>}
          {test.error && (
            <div role="alert" className="error">
              {test.error}
            </div>
          )}
          {test.report && (
            <ConnectivityChecklist
              report={test.report}
              onReviewCertificate={(certificate) =>
                setTrust({ endpoint: test.endpoint, certificate })
              }
            />
          )}
        </section>
      )}

      {loaded && endpoints.length === 0 && !loadError && (
        <div className="empty">
          No endpoints yet. Choose Add endpoint to connect a vCenter, an ESXi host or a Hyper-V
          host.
        </div>
      )}

      <div className="endpoint-list">
        {endpoints.map((ep) => (
          <EndpointCard
            key={ep.id}
            endpoint={ep}
            progress={progress[ep.id]}
            busy={busy.has(ep.id)}
            actions={actions}
            syncBlocked={syncBlocked}
          />
        ))}
      </div>

      {editing && (
        <EndpointForm
          {...(editing.mode === 'edit' ? { endpoint: editing.endpoint } : {})}
          onClose={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setNotice(editing.mode === 'add' ? `Added ${saved.name}.` : `Saved ${saved.name}.`);
            void refresh();
          }}
        />
      )}

      {deleting && (
        <ConfirmDialog
          label="Delete endpoint"
          title={`Delete ${deleting.name}?`}
          confirmText="Delete"
          danger
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await api.invoke('endpoints:remove', { id: deleting.id });
            setDeleting(null);
            if (test?.endpoint.id === deleting.id) setTest(null);
            setNotice(`Deleted ${deleting.name}.`);
            await refresh();
          }}
        >
          <p>
            {deleting.name} ({deleting.host}) and its stored password will be removed. This cannot
            be undone.
          </p>
        </ConfirmDialog>
      )}

      {trust && (
        <TrustDialog
          endpoint={trust.endpoint}
          certificate={trust.certificate}
          onClose={() => setTrust(null)}
          onTrusted={(updated) => {
            setTrust(null);
            setNotice(
              `Trusted the certificate of ${updated.name}: SHA-256 ${updated.thumbprint ?? trust.certificate.fingerprint256} is pinned. Test again to check the rest.`,
            );
            void refresh();
          }}
        />
      )}
    </section>
  );
}
