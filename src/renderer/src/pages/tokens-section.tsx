import { useCallback, useEffect, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import type { CreatedToken, TokenInfo } from '../../../shared/accounts.js';
import type { Role } from '../../../shared/roles.js';
import { copyText } from '../components/clipboard.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { RoleOptions } from '../components/role-options.js';
import { errorText, formatRelative } from '../format.js';
import { api } from '../transport.js';

/** How long a new token lasts: what `token create --expires` takes. */
const LIFETIMES = [
  ['1d', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
  ['365d', '1 year'],
] as const;

function tokenState(t: TokenInfo, now = Date.now()): string {
  if (t.revoked) return 'revoked';
  return Date.parse(t.expiresAt) <= now ? 'expired' : `expires ${formatRelative(t.expiresAt)}`;
}

/**
 * API tokens for scripts and clients that are not a browser (`Authorization: Bearer`): create one
 * with a role and a lifetime — its secret is shown here once and never again, the server keeping
 * only its hash — list them, revoke one.
 */
export function TokensSection(): ReactElement {
  const [tokens, setTokens] = useState<readonly TokenInfo[] | null>(null);
  const [form, setForm] = useState({ name: '', role: 'viewer' as Role, expiresIn: '30d' });
  const [made, setMade] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    api.invoke('tokens:list', {}).then(setTokens, (e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);

  const create = (e: FormEvent): void => {
    e.preventDefault();
    setError(null);
    setMade(null);
    api.invoke('tokens:create', { ...form, name: form.name.trim() }).then(
      (t) => {
        setMade(t);
        setForm({ ...form, name: '' });
        load();
      },
      (err: unknown) => setError(errorText(err)),
    );
  };

  return (
    <section className="panel" aria-label="API tokens">
      <h2>API tokens</h2>
      <form className="toolbar webhook-form" aria-label="Create an API token" onSubmit={create}>
        <label className="field">
          Token name{' '}
          <input
            value={form.name}
            required
            maxLength={64}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        </label>
        <label className="field">
          Token role{' '}
          <select
            aria-label="Token role"
            value={form.role}
            onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
          >
            <RoleOptions />
          </select>
        </label>
        <label className="field">
          Expires after{' '}
          <select
            aria-label="Expires after"
            value={form.expiresIn}
            onChange={(e) => setForm({ ...form, expiresIn: e.target.value })}
          >
            {LIFETIMES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn">
          Create token
        </button>
      </form>
      {made && (
        <div role="status" className="panel" aria-label="New token">
          <p>
            Token <strong>{made.name}</strong> ({made.role}) — copy it now, it is not shown again:
          </p>
          <code className="mono" aria-label="Token secret">
            {made.secret}
          </code>{' '}
          <button type="button" className="btn" onClick={() => void copyText(made.secret)}>
            Copy
          </button>{' '}
          <button type="button" className="btn" onClick={() => setMade(null)}>
            Done
          </button>
        </div>
      )}
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      {tokens === null ? null : tokens.length === 0 ? (
        <p className="empty">No API tokens.</p>
      ) : (
        <table aria-label="Token list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Created</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.name}>
                <td>{t.name}</td>
                <td>{t.role}</td>
                <td title={t.createdAt}>{formatRelative(t.createdAt)}</td>
                <td title={t.expiresAt}>{tokenState(t)}</td>
                <td>
                  {!t.revoked && (
                    <button
                      type="button"
                      className="btn"
                      aria-label={`Revoke ${t.name}`}
                      onClick={() => setRevoking(t.name)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking && (
        <ConfirmDialog
          label="Revoke token"
          title={`Revoke ${revoking}?`}
          confirmText="Revoke"
          danger
          onCancel={() => setRevoking(null)}
          onConfirm={async () => {
            await api.invoke('tokens:revoke', { name: revoking });
            setRevoking(null);
            load();
          }}
        >
          <p>Scripts using it are refused from their next request.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
