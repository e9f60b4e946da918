import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import type { AlertDto, AlertEntityType } from '../../../shared/alerts.js';
import { errorText, formatRelative } from '../format.js';
import { setAlertEntityFilter, useAlerts } from '../stores/alerts.js';
import { useLive } from '../stores/live.js';
import { useUi } from '../stores/ui.js';
import { api } from '../transport.js';
import { SEVERITY_TONE } from './alert-badge.js';

interface Props {
  readonly endpointId: number;
  readonly entityType: AlertEntityType;
  readonly entityId: string;
  readonly name: string;
  readonly now: number;
}

/**
 * A detail view's open alerts (snoozed ones too, marked), refetched on alert pushes and live
 * ticks, with a way to the console filtered to this object.
 */
export function EntityAlerts({ endpointId, entityType, entityId, name, now }: Props): ReactElement {
  const [alerts, setAlerts] = useState<readonly AlertDto[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const revision = useAlerts((s) => s.revision);
  const tick = useLive((s) => s.tick);

  useEffect(() => {
    let live = true;
    api
      .invoke('alerts:list', {
        state: 'open',
        endpointId,
        entityType,
        entityId,
        includeSnoozed: true,
      })
      .then(
        (a) => {
          if (!live) return;
          setAlerts(a);
          setError(null);
        },
        (e: unknown) => live && setError(errorText(e)),
      );
    return () => {
      live = false;
    };
  }, [endpointId, entityType, entityId, revision, tick]);

  const showInConsole = (): void => {
    setAlertEntityFilter({ endpointId, entityType, entityId, name });
    useUi.getState().setPage('alerts');
  };

  return (
    <div aria-label={`Open alerts of ${name}`} role="group">
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      {alerts && alerts.length === 0 && <p className="muted">No open alerts.</p>}
      {alerts && alerts.length > 0 && (
        <ul className="entity-alerts">
          {alerts.map((a) => (
            <li key={a.id}>
              <span className={`badge ${SEVERITY_TONE[a.severity]}`}>{a.severity}</span>
              <span>
                {a.message}
                <span className="muted">
                  {' '}
                  · {a.state}
                  {a.snoozedUntil && a.snoozedUntil > new Date(now).toISOString()
                    ? ' (snoozed)'
                    : ''}{' '}
                  · <time dateTime={a.raisedAt}>{formatRelative(a.raisedAt, now)}</time>
                </span>
              </span>
            </li>
          ))}
        </ul>
      )}
      <button
        type="button"
        className="link"
        onClick={showInConsole}
        aria-label={`Show alerts of ${name} in the Alerts console`}
      >
        Show in Alerts
      </button>
    </div>
  );
}
