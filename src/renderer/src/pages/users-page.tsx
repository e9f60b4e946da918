import { useCallback, useEffect, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import type { AccountInfo } from '../../../shared/accounts.js';
import type { Role } from '../../../shared/roles.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { RoleOptions } from '../components/role-options.js';
import { Dialog } from '../components/dialog.js';
import { errorText, formatRelative } from '../format.js';
import { session } from '../session.js';
import { api } from '../transport.js';
import { TokensSection } from './tokens-section.js';

/*
 * Users (team server, admins only): the accounts with their role, state and last sign-in, and
 * what the CLI's `user` commands do — add, change the role, disable or enable, lift a lockout,
 * reset a password, log out everywhere — through the admin-only `users:*` channels; then the API
 * tokens. The server refuses all of it to anyone else whatever this page shows.
 */

/** What the Status column says: disabled, locked until a time, or active. */
export function accountState(a: AccountInfo, now = Date.now()): string {
  if (a.disabled) return 'disabled';
  if (a.lockedUntil && Date.parse(a.lockedUntil) > now)
    return `locked until ${new Date(a.lockedUntil).toLocaleString()}`;
  return 'active';
}

const EMPTY = { name: '', role: 'viewer' as Role, password: '' };

function AddAccountForm({ onAdded }: { onAdded: (a: AccountInfo) => void }): ReactElement {
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    api.invoke('users:add', { ...form, name: form.name.trim() }).then(
      (a) => {
        setForm(EMPTY);
        setBusy(false);
        onAdded(a);
      },
      (err: unknown) => {
        setBusy(false);
        setError(errorText(err));
      },
    );
  };
  return (
    <form className="toolbar webhook-form" aria-label="Add an account" onSubmit={submit}>
      <label className="field">
        Account name{' '}
        <input
          value={form.name}
          required
          maxLength={64}
          autoComplete="off"
          onChange={(e) => setForm({ ...form, name: e.target.value })}
        />
      </label>
      <label className="field">
        Role{' '}
        <select
          aria-label="New account role"
          value={form.role}
          onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
        >
          <RoleOptions />
        </select>
      </label>
      <label className="field">
        Initial password{' '}
        <input
          type="password"
          value={form.password}
          required
          autoComplete="new-password"
          onChange={(e) => setForm({ ...form, password: e.target.value })}
        />
      </label>
      <button type="submit" className="btn primary" disabled={busy}>
        Add account
      </button>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
    </form>
  );
}

/** An admin sets a new password for someone; their sessions end with the old one. */
function ResetPasswordDialog({
  name,
  onClose,
}: {
  name: string;
  onClose: (done: boolean) => void;
}): ReactElement {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    api.invoke('users:setPassword', { name, password }).then(
      () => onClose(true),
      (err: unknown) => {
        setBusy(false);
        setError(errorText(err));
      },
    );
  };
  return (
    <Dialog label="Reset password" onClose={() => onClose(false)}>
      <h2>New password for {name}</h2>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="reset-password">New password</label>
          <input
            id="reset-password"
            type="password"
            autoComplete="new-password"
            data-autofocus
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <span className="hint">Every session {name} has open ends.</span>
        </div>
        {error && (
          <div role="alert" className="error">
            {error}
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={() => onClose(false)}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={busy}>
            Set password
          </button>
        </div>
      </form>
    </Dialog>
  );
}

type Pending = { kind: 'password' | 'logout' | 'disable'; name: string } | null;

export function UsersPage(): ReactElement {
  const [accounts, setAccounts] = useState<readonly AccountInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending>(null);
  const me = session();
  const myName = me.kind === 'account' ? me.account.name : null;

  const load = useCallback(() => {
    api.invoke('users:list', {}).then(setAccounts, (e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);

  /** Puts the account a change answered with in place of the old one. */
  const replace = (a: AccountInfo): void =>
    setAccounts((list) => (list ?? []).map((x) => (x.name === a.name ? a : x)));
  const act = (p: Promise<AccountInfo>): void => {
    setError(null);
    p.then(replace, (e: unknown) => {
      setError(errorText(e));
      load();
    });
  };

  return (
    <section className="page scroll" aria-label="Users">
      <header className="page-header">
        <h1>Users</h1>
      </header>
      <section className="panel" aria-label="Accounts">
        <h2>Accounts</h2>
        <AddAccountForm
          onAdded={(a) =>
            setAccounts((list) => [...(list ?? []), a].sort((x, y) => (x.name < y.name ? -1 : 1)))
          }
        />
        {error && (
          <div role="alert" className="error">
            {error}
          </div>
        )}
        {accounts === null ? (
          <p className="muted">Loading…</p>
        ) : (
          <table aria-label="Account list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Status</th>
                <th>Last sign-in</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => {
                const state = accountState(a);
                return (
                  <tr key={a.name}>
                    <td>
                      {a.name}
                      {a.name === myName && <span className="badge">you</span>}
                    </td>
                    <td>
                      <select
                        aria-label={`Role of ${a.name}`}
                        value={a.role}
                        onChange={(e) =>
                          act(api.invoke('users:setRole', { name: a.name, role: e.target.value }))
                        }
                      >
                        <RoleOptions />
                      </select>
                    </td>
                    <td className={state === 'active' ? 'tone-ok' : 'tone-danger'}>{state}</td>
                    <td title={a.lastLoginAt ?? undefined}>
                      {a.lastLoginAt ? formatRelative(a.lastLoginAt) : 'never'}
                    </td>
                    <td>
                      {a.disabled ? (
                        <button
                          type="button"
                          className="btn"
                          aria-label={`Enable ${a.name}`}
                          onClick={() =>
                            act(api.invoke('users:setDisabled', { name: a.name, disabled: false }))
                          }
                        >
                          Enable
                        </button>
                      ) : (
                        <button
                          type="button"
                          className="btn"
                          aria-label={`Disable ${a.name}`}
                          onClick={() => setPending({ kind: 'disable', name: a.name })}
                        >
                          Disable
                        </button>
                      )}{' '}
                      {state.startsWith('locked') && (
                        <button
                          type="button"
                          className="btn"
                          aria-label={`Unlock ${a.name}`}
                          onClick={() => act(api.invoke('users:unlock', { name: a.name }))}
                        >
                          Unlock
                        </button>
                      )}{' '}
                      <button
                        type="button"
                        className="btn"
                        aria-label={`Reset password of ${a.name}`}
                        onClick={() => setPending({ kind: 'password', name: a.name })}
                      >
                        Reset password
                      </button>{' '}
                      <button
                        type="button"
                        className="btn"
                        aria-label={`Log ${a.name} out everywhere`}
                        onClick={() => setPending({ kind: 'logout', name: a.name })}
                      >
                        Log out everywhere
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      <TokensSection />
      {pending?.kind === 'password' && (
        <ResetPasswordDialog name={pending.name} onClose={() => setPending(null)} />
      )}
      {pending && pending.kind !== 'password' && (
        <ConfirmDialog
          label={pending.kind === 'disable' ? 'Disable account' : 'Log out everywhere'}
          title={
            pending.kind === 'disable'
              ? `Disable ${pending.name}?`
              : `Log ${pending.name} out everywhere?`
          }
          confirmText={pending.kind === 'disable' ? 'Disable' : 'Log out everywhere'}
          danger
          onCancel={() => setPending(null)}
          onConfirm={async () => {
            replace(
              pending.kind === 'disable'
                ? await api.invoke('users:setDisabled', { name: pending.name, disabled: true })
                : await api.invoke('users:logoutAll', { name: pending.name }),
            );
            setPending(null);
          }}
        >
          <p>
            {pending.kind === 'disable'
              ? 'Its sessions end and it cannot sign in until an admin enables it again.'
              : 'Every browser and desktop app signed in with it must sign in again.'}
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
