import { useState } from 'react';
import type { FormEvent, ReactElement } from 'react';
import { UseLocalStore } from '../components/account-bar.js';
import { AUTH_OIDC_START_PATH } from '../../../shared/roles.js';
import { signIn } from '../session.js';
import { leaveTeamServer } from '../transport.js';

/** The team server's sign-in, shown when serve runs with accounts and this browser has no session. */
export function LoginPage({ oidc }: { readonly oidc: boolean }): ReactElement {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    signIn(username, password)
      .then((refused) => {
        if (refused === null) {
          // The stores start fresh with the session's cookie.
          location.reload();
          return;
        }
        setError(refused);
        setPassword('');
        setBusy(false);
      })
      .catch((x: unknown) => {
        setError(`Cannot reach the server: ${String(x)}`);
        setBusy(false);
      });
  };

  return (
    <main className="login-page">
      <form className="login-form" aria-label="Sign in" onSubmit={submit}>
        <h1>Infrascope</h1>
        {leaveTeamServer && <p className="muted">Team server {location.host}</p>}
        <label>
          <span>Account</span>
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            autoFocus
          />
        </label>
        <label>
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {error && (
          <p className="login-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn primary" disabled={busy}>
          Sign in
        </button>
        {leaveTeamServer && <UseLocalStore leave={leaveTeamServer} />}
        {/* The desktop app's team window stays on the server's origin (its certificate is the one
            pinned), so an identity provider's pages could not open there: no such button. */}
        {oidc && !leaveTeamServer && (
          // A navigation, not a fetch: the identity provider's own pages take over the tab.
          <a className="btn" href={AUTH_OIDC_START_PATH}>
            Sign in with your organisation
          </a>
        )}
      </form>
    </main>
  );
}
