import type { ReactElement } from 'react';
import { session, signOut } from '../session.js';

/** On a team server: who is signed in, with which role, and the way out. Nothing otherwise. */
export function AccountBar(): ReactElement | null {
  const s = session();
  if (s.kind !== 'account') return null;
  return (
    <section className="account-bar" aria-label="Signed-in account">
      <span title={`Signed in as ${s.account.name} (${s.account.role})`}>
        {s.account.name} · {s.account.role}
      </span>
      <button type="button" className="btn" onClick={() => void signOut()}>
        Sign out
      </button>
    </section>
  );
}
