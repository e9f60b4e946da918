import { useCallback, useEffect, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import type {
  AlertSeverity,
  WebhookDelivery,
  WebhookDto,
  WebhookFormat,
} from '../../../shared/alerts.js';
import { ALERT_SEVERITIES, WEBHOOK_FORMATS } from '../../../shared/alerts.js';
import { errorText, formatDelivery, formatRelative } from '../format.js';
import { api } from '../transport.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { can } from '../session.js';

const LOG_LIMIT = 100;

const FORMAT_LABELS: Readonly<Record<WebhookFormat, string>> = {
  json: 'JSON',
  slack: 'Slack',
  teams: 'Microsoft Teams',
};

/** Newest first, each delivery once (a test's reply and its pushed event are the same row). */
function merge(
  log: readonly WebhookDelivery[],
  more: readonly WebhookDelivery[],
): readonly WebhookDelivery[] {
  const byId = new Map(log.map((d) => [d.id, d]));
  for (const d of more) byId.set(d.id, d);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, LOG_LIMIT);
}

interface AddForm {
  name: string;
  url: string;
  format: WebhookFormat;
  minSeverity: AlertSeverity;
}

const EMPTY_FORM: AddForm = { name: '', url: '', format: 'json', minSeverity: 'warning' };

/**
 * Webhooks: add, remove, send a test (its result shown beside the webhook) and the delivery log,
 * kept current by `webhooks:delivered` pushes. The URL is the webhook's credential: the core
 * seals it and only ever sends back its scheme and host.
 */
export function WebhooksPanel(): ReactElement {
  // Null until the first load: no "No webhooks" flash before the list arrives.
  const [hooks, setHooks] = useState<readonly WebhookDto[] | null>(null);
  const [log, setLog] = useState<readonly WebhookDelivery[]>([]);
  const [form, setForm] = useState<AddForm>(EMPTY_FORM);
  const [tests, setTests] = useState<Readonly<Record<number, WebhookDelivery | 'sending'>>>({});
  const [removing, setRemoving] = useState<WebhookDto | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    Promise.all([
      api.invoke('webhooks:list', {}),
      api.invoke('webhooks:deliveries', { limit: LOG_LIMIT }),
    ]).then(
      ([h, d]) => {
        setHooks(h);
        setLog((prev) => merge(prev, d));
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, []);
  useEffect(load, [load]);
  useEffect(() => api.on('webhooks:delivered', (d) => setLog((prev) => merge(prev, [d]))), []);

  const add = (e: FormEvent): void => {
    e.preventDefault();
    setError(null);
    api.invoke('webhooks:add', { ...form, name: form.name.trim(), url: form.url.trim() }).then(
      () => {
        setForm(EMPTY_FORM);
        load();
      },
      (err: unknown) => setError(errorText(err)),
    );
  };

  const sendTest = (w: WebhookDto): void => {
    setTests((t) => ({ ...t, [w.id]: 'sending' }));
    api.invoke('webhooks:test', { id: w.id }).then(
      (d) => {
        setTests((t) => ({ ...t, [w.id]: d }));
        setLog((prev) => merge(prev, [d]));
      },
      (err: unknown) => {
        setTests((t) => Object.fromEntries(Object.entries(t).filter(([id]) => id !== `${w.id}`)));
        setError(errorText(err));
      },
    );
  };

  const toggle = (w: WebhookDto): void => {
    setError(null);
    api.invoke('webhooks:update', { id: w.id, enabled: !w.enabled }).then(
      (next) => setHooks((prev) => (prev ?? []).map((x) => (x.id === next.id ? next : x))),
      (err: unknown) => setError(errorText(err)),
    );
  };

  const names = new Map((hooks ?? []).map((w) => [w.id, w.name]));

  return (
    <section className="panel" aria-label="Webhooks">
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      <form
        className="toolbar webhook-form"
        aria-label="Add a webhook"
        onSubmit={add}
        hidden={!can('webhooks:add')}
      >
        <label className="field">
          Name{' '}
          <input
            value={form.name}
            required
            maxLength={100}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        </label>
        <label className="field">
          URL{' '}
          <input
            type="url"
            value={form.url}
            required
            placeholder="https://hooks.example.com/…"
            onChange={(e) => setForm({ ...form, url: e.target.value })}
          />
        </label>
        <label className="field">
          Body{' '}
          <select
            value={form.format}
            onChange={(e) => setForm({ ...form, format: e.target.value as WebhookFormat })}
          >
            {WEBHOOK_FORMATS.map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Minimum severity{' '}
          <select
            value={form.minSeverity}
            onChange={(e) => setForm({ ...form, minSeverity: e.target.value as AlertSeverity })}
          >
            {ALERT_SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn">
          Add webhook
        </button>
      </form>
      {hooks === null ? null : hooks.length === 0 ? (
        <p className="empty">No webhooks. Add one to have alerts posted to it.</p>
      ) : (
        <table aria-label="Webhook list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Address</th>
              <th>Body</th>
              <th>Minimum severity</th>
              <th>Last test</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {hooks.map((w) => {
              const t = tests[w.id];
              return (
                <tr key={w.id}>
                  <td>
                    {w.name}
                    {!w.enabled && <span className="badge off">disabled</span>}
                  </td>
                  <td className="mono">{w.urlHint}</td>
                  <td>{FORMAT_LABELS[w.format]}</td>
                  <td>{w.minSeverity}</td>
                  <td role="status" aria-label={`Test result of ${w.name}`}>
                    {t === 'sending' ? 'Sending…' : t ? formatDelivery(t) : ''}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="btn"
                      hidden={!can('webhooks:test')}
                      disabled={t === 'sending'}
                      aria-label={`Send test to ${w.name}`}
                      onClick={() => sendTest(w)}
                    >
                      Send test
                    </button>{' '}
                    <button
                      type="button"
                      className="btn"
                      hidden={!can('webhooks:update')}
                      aria-label={`${w.enabled ? 'Disable' : 'Enable'} ${w.name}`}
                      aria-pressed={!w.enabled}
                      onClick={() => toggle(w)}
                    >
                      {w.enabled ? 'Disable' : 'Enable'}
                    </button>{' '}
                    <button
                      type="button"
                      className="btn"
                      hidden={!can('webhooks:remove')}
                      aria-label={`Remove ${w.name}`}
                      onClick={() => setRemoving(w)}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h2>Delivery log</h2>
      {hooks === null ? null : log.length === 0 ? (
        <p className="empty">Nothing delivered yet.</p>
      ) : (
        <table aria-label="Delivery log">
          <thead>
            <tr>
              <th>When</th>
              <th>Webhook</th>
              <th>Alert</th>
              <th>Result</th>
            </tr>
          </thead>
          <tbody>
            {log.map((d) => (
              <tr key={d.id}>
                <td title={d.at}>{formatRelative(d.at)}</td>
                <td>{names.get(d.webhookId) ?? `#${d.webhookId} (removed)`}</td>
                <td>{d.alertId === null ? 'test' : `#${d.alertId}`}</td>
                <td className={d.status === 'delivered' ? 'tone-ok' : 'tone-danger'}>
                  {formatDelivery(d)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {removing && (
        <ConfirmDialog
          label="Remove webhook"
          title={`Remove ${removing.name}?`}
          confirmText="Remove"
          danger
          onCancel={() => setRemoving(null)}
          onConfirm={async () => {
            await api.invoke('webhooks:remove', { id: removing.id });
            setLog((prev) => prev.filter((d) => d.webhookId !== removing.id));
            setRemoving(null);
            load();
          }}
        >
          <p>Alerts stop being posted to it, and its deliveries leave the log.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
