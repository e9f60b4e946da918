import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ReactElement } from 'react';
import type {
  AlertDto,
  AlertHistoryEntry,
  AlertRuleDto,
  AlertSeverity,
} from '../../../shared/alerts.js';
import { ALERT_SEVERITIES } from '../../../shared/alerts.js';
import { SEVERITY_TONE } from '../components/alert-badge.js';
import { ScopeNote } from '../components/scope-selector.js';
import { WebhooksPanel } from '../components/webhooks-panel.js';
import { errorText, formatRelative } from '../format.js';
import { setAlertEntityFilter, useAlerts } from '../stores/alerts.js';
import { useLive } from '../stores/live.js';
import { useQueryScope } from '../stores/scope.js';
import { api } from '../transport.js';
import { can } from '../session.js';

type View = 'open' | 'history' | 'rules' | 'webhooks';

const VIEW_LABELS: Readonly<Record<View, string>> = {
  open: 'Open',
  history: 'History',
  rules: 'Rules',
  webhooks: 'Webhooks',
};

const SNOOZES: readonly [label: string, minutes: number][] = [
  ['1 hour', 60],
  ['4 hours', 240],
  ['1 day', 1440],
  ['1 week', 10_080],
];

/** Refetches on pushed alert events and on the live tick (syncs by other processes). */
function useAlertsRefresh(): number {
  const tick = useLive((s) => s.tick);
  const revision = useAlerts((s) => s.revision);
  return tick + revision;
}

function AlertHistory({ alert }: { alert: AlertDto }): ReactElement {
  const [entries, setEntries] = useState<readonly AlertHistoryEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.invoke('alerts:history', { id: alert.id }).then(
      (h) => live && setEntries(h),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [alert.id, alert.state, alert.count]);
  return (
    <section className="panel" aria-label={`History of alert ${alert.id}`}>
      <h2>
        #{alert.id} {alert.entityName ?? alert.rule}
      </h2>
      <p>{alert.message}</p>
      <dl className="info-list">
        <dt>Rule</dt>
        <dd className="mono">{alert.rule}</dd>
        <dt>Endpoint</dt>
        <dd>{alert.endpoint ?? '—'}</dd>
        <dt>First / last seen</dt>
        <dd>
          {new Date(alert.raisedAt).toLocaleString()} / {new Date(alert.lastSeen).toLocaleString()}
        </dd>
        <dt>Count</dt>
        <dd>{alert.count}</dd>
        {alert.ackedBy && (
          <>
            <dt>Acknowledged</dt>
            <dd>
              {alert.ackedBy}
              {alert.ackComment ? `: ${alert.ackComment}` : ''}
            </dd>
          </>
        )}
      </dl>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      <ol className="history" aria-label="Transitions">
        {(entries ?? []).map((h, i) => (
          <li key={i}>
            <span className="mono">{new Date(h.at).toLocaleString()}</span> {h.action}
            {h.actor ? ` by ${h.actor}` : ''}
            {h.comment ? ` — ${h.comment}` : ''}
          </li>
        ))}
      </ol>
    </section>
  );
}

function RuleRow({ rule, onSaved }: { rule: AlertRuleDto; onSaved: () => void }): ReactElement {
  const [params, setParams] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(rule.params).map(([k, v]) => [k, String(v)])),
  );
  const [tags, setTags] = useState(rule.tags.join(', '));
  const [error, setError] = useState<string | null>(null);
  const editable = can('alerts:updateRule');
  const save = (enabled: boolean): void => {
    const numbers: Record<string, number> = {};
    for (const [k, v] of Object.entries(params)) {
      const n = Number(v);
      if (!Number.isFinite(n)) {
        setError(`${k} must be a number`);
        return;
      }
      numbers[k] = n;
    }
    setError(null);
    api
      .invoke('alerts:updateRule', {
        rule: rule.rule,
        enabled,
        params: numbers,
        tags: tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      })
      .then(onSaved, (e: unknown) => setError(errorText(e)));
  };
  return (
    <tr>
      <td>
        <label>
          <input
            type="checkbox"
            checked={rule.enabled}
            disabled={!editable}
            onChange={(e) => save(e.target.checked)}
            aria-label={`Enable ${rule.title}`}
          />{' '}
          {rule.title}
        </label>
        <div className="muted">{rule.description}</div>
      </td>
      <td>
        {Object.keys(params).map((k) => (
          <label key={k} className="field">
            {k}{' '}
            <input
              type="number"
              value={params[k]}
              disabled={!editable}
              onChange={(e) => setParams({ ...params, [k]: e.target.value })}
              aria-label={`${rule.rule} ${k}`}
            />
          </label>
        ))}
      </td>
      <td>
        <input
          value={tags}
          disabled={!editable}
          placeholder="all endpoints"
          onChange={(e) => setTags(e.target.value)}
          aria-label={`${rule.rule} tags`}
        />
        {rule.endpointIds.length > 0 && (
          <div className="muted">endpoints {rule.endpointIds.join(', ')}</div>
        )}
      </td>
      <td>
        {editable && (
          <button type="button" className="btn" onClick={() => save(rule.enabled)}>
            Save
          </button>
        )}
        {error && (
          <div role="alert" className="field-error">
            {error}
          </div>
        )}
      </td>
    </tr>
  );
}

function RulesEditor(): ReactElement {
  const [rules, setRules] = useState<readonly AlertRuleDto[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api.invoke('alerts:rules', {}).then(setRules, (e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);
  return (
    <section className="panel" aria-label="Alert rules">
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      <table>
        <thead>
          <tr>
            <th>Rule</th>
            <th>Thresholds</th>
            <th>Only for tags</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <RuleRow key={`${r.rule}:${JSON.stringify(r)}`} rule={r} onSaved={load} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * The alerts console: open alerts with filters, single and bulk acknowledge and snooze,
 * suppression of one object, each alert's history, and the rule editor.
 */
export function AlertsPage(): ReactElement {
  const [view, setView] = useState<View>('open');
  const [severity, setSeverity] = useState<AlertSeverity | ''>('');
  const [rule, setRule] = useState('');
  const [text, setText] = useState('');
  const [showSnoozed, setShowSnoozed] = useState(false);
  const [alerts, setAlerts] = useState<readonly AlertDto[]>([]);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [focus, setFocus] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const refresh = useAlertsRefresh();
  const entity = useAlerts((s) => s.entityFilter);
  const scope = useQueryScope();

  useEffect(() => {
    if (view === 'rules' || view === 'webhooks') return;
    let live = true;
    api
      .invoke('alerts:list', {
        state: view === 'open' ? 'open' : 'all',
        includeSnoozed: showSnoozed,
        limit: 2000,
        ...(severity ? { severity } : {}),
        ...(rule ? { rule } : {}),
        ...(scope ? { scope } : {}),
        ...(entity
          ? {
              endpointId: entity.endpointId,
              entityType: entity.entityType,
              entityId: entity.entityId,
            }
          : {}),
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
  }, [view, severity, rule, showSnoozed, entity, refresh, scope]);

  const shown = useMemo(() => {
    const q = text.trim().toLowerCase();
    if (!q) return alerts;
    return alerts.filter((a) =>
      [a.message, a.entityName ?? '', a.endpoint ?? '', a.rule].some((s) =>
        s.toLowerCase().includes(q),
      ),
    );
  }, [alerts, text]);
  const rules = useMemo(() => [...new Set(alerts.map((a) => a.rule))].sort(), [alerts]);
  const focused = alerts.find((a) => a.id === focus) ?? null;
  const ids = [...selected].filter((id) => shown.some((a) => a.id === id));

  const act = (p: Promise<unknown>): void => {
    p.then(
      () => setSelected(new Set()),
      (e: unknown) => setError(errorText(e)),
    );
  };
  const toggle = (id: number): void => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  return (
    <section className="page scroll" aria-label="Alerts">
      <header className="page-header">
        <h1>Alerts</h1>
        <ScopeNote />
        <div className="toolbar" role="tablist">
          {(Object.keys(VIEW_LABELS) as View[]).map((v) => (
            <button
              key={v}
              type="button"
              role="tab"
              aria-selected={view === v}
              className={view === v ? 'btn chip' : 'btn'}
              onClick={() => setView(v)}
            >
              {VIEW_LABELS[v]}
            </button>
          ))}
          {can('alerts:evaluate') && (
            <button
              type="button"
              className="btn"
              onClick={() => act(api.invoke('alerts:evaluate', {}))}
            >
              Evaluate now
            </button>
          )}
        </div>
      </header>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      {view === 'rules' ? (
        <RulesEditor />
      ) : view === 'webhooks' ? (
        <WebhooksPanel />
      ) : (
        <>
          <div className="toolbar" aria-label="Filters">
            <input
              type="search"
              placeholder="Filter by text"
              value={text}
              onChange={(e) => setText(e.target.value)}
              aria-label="Filter alerts"
            />
            <select
              value={severity}
              onChange={(e) => setSeverity(e.target.value as AlertSeverity | '')}
              aria-label="Severity"
            >
              <option value="">All severities</option>
              {ALERT_SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
            <select value={rule} onChange={(e) => setRule(e.target.value)} aria-label="Rule">
              <option value="">All rules</option>
              {rules.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
            {entity && (
              <span className="chip active filter-chip">
                {entity.entityType} {entity.name}
                <button
                  type="button"
                  className="chip-x"
                  aria-label={`Clear the filter on ${entity.name}`}
                  onClick={() => setAlertEntityFilter(null)}
                >
                  ✕
                </button>
              </span>
            )}
            <label>
              <input
                type="checkbox"
                checked={showSnoozed}
                onChange={(e) => setShowSnoozed(e.target.checked)}
              />{' '}
              Show snoozed
            </label>
          </div>
          <div
            className="toolbar"
            aria-label="Actions on selected alerts"
            hidden={!can('alerts:ack') && !can('alerts:snooze')}
          >
            <span className="selection-info">{ids.length} selected</span>
            {can('alerts:ack') && (
              <>
                <input
                  placeholder="Comment"
                  value={comment}
                  onChange={(e) => setComment(e.target.value)}
                  aria-label="Acknowledge comment"
                />
                <button
                  type="button"
                  className="btn"
                  disabled={ids.length === 0}
                  onClick={() =>
                    act(api.invoke('alerts:ack', { ids, ...(comment ? { comment } : {}) }))
                  }
                >
                  Acknowledge
                </button>
              </>
            )}
            {SNOOZES.filter(() => can('alerts:snooze')).map(([label, minutes]) => (
              <button
                key={minutes}
                type="button"
                className="btn"
                disabled={ids.length === 0}
                onClick={() => act(api.invoke('alerts:snooze', { ids, minutes }))}
              >
                Snooze {label}
              </button>
            ))}
            {can('alerts:snooze') && (
              <button
                type="button"
                className="btn"
                disabled={ids.length === 0}
                onClick={() => act(api.invoke('alerts:snooze', { ids, minutes: 0 }))}
              >
                Unsnooze
              </button>
            )}
          </div>
          {shown.length === 0 ? (
            <p className="empty">{view === 'open' ? 'No open alerts.' : 'No alerts.'}</p>
          ) : (
            <table aria-label="Alert list">
              <thead>
                <tr>
                  <th>
                    <input
                      type="checkbox"
                      aria-label="Select all"
                      checked={ids.length === shown.length}
                      onChange={(e) =>
                        setSelected(new Set(e.target.checked ? shown.map((a) => a.id) : []))
                      }
                    />
                  </th>
                  <th>Severity</th>
                  <th>State</th>
                  <th>Object</th>
                  <th>Message</th>
                  <th>Endpoint</th>
                  <th>Count</th>
                  <th>Raised</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {shown.map((a) => (
                  <tr key={a.id} aria-selected={focus === a.id}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select alert ${a.id}`}
                        checked={selected.has(a.id)}
                        onChange={() => toggle(a.id)}
                      />
                    </td>
                    <td>
                      <span className={`badge ${SEVERITY_TONE[a.severity]}`}>{a.severity}</span>
                    </td>
                    <td>
                      {a.state}
                      {a.snoozedUntil && a.state !== 'cleared' ? ' (snoozed)' : ''}
                    </td>
                    <td>
                      <button type="button" className="link" onClick={() => setFocus(a.id)}>
                        {a.entityName ?? a.entityId ?? '—'}
                      </button>
                    </td>
                    <td>{a.message}</td>
                    <td>{a.endpoint ?? '—'}</td>
                    <td>{a.count}</td>
                    <td title={a.raisedAt}>{formatRelative(a.raisedAt)}</td>
                    <td>
                      {can('alerts:suppress') &&
                        a.state !== 'cleared' &&
                        a.endpointId !== null &&
                        a.entityType &&
                        a.entityId && (
                          <button
                            type="button"
                            className="btn"
                            title="A known exception: keep the rule, stop alerting for this object"
                            onClick={() =>
                              act(
                                api.invoke('alerts:suppress', {
                                  rule: a.rule as never,
                                  endpointId: a.endpointId!,
                                  entityType: a.entityType as never,
                                  entityId: a.entityId!,
                                  reason: comment,
                                }),
                              )
                            }
                          >
                            Suppress
                          </button>
                        )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {focused && <AlertHistory alert={focused} />}
        </>
      )}
    </section>
  );
}
