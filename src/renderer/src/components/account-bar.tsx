import type { ReactElement } from 'react';
import { session, signOut } from '../session.js';
import { leaveTeamServer } from '../transport.js';

/**
 * On a team server: who is signed in, with which role, and the way out. In the desktop app's
 * window on a team server, also which server this is and the one click back to the local store.
 * Nothing otherwise.
 */
export function AccountBar(): ReactElement | null {
  const s = session();
  if (s.kind !== 'account') return null;
  return (
    <section className="account-bar" aria-label="Signed-in account">
      {leaveTeamServer && (
        <span className="team-server" title="The team server this app shows">
          {location.host}
        </span>
      )}
      <span title={`Signed in as ${s.account.name} (${s.account.role})`}>
        {s.account.name} · {s.account.role}
      </span>
      <button type="button" className="btn" onClick={() => void signOut()}>
        Sign out
      </button>
      {leaveTeamServer && <UseLocalStore leave={leaveTeamServer} />}
    </section>
  );
}

/** Back to the local store (desktop app on a team server): main swaps the window. */
export function UseLocalStore({ leave }: { leave: () => Promise<void> }): ReactElement {
  return (
    <button type="button" className="btn" onClick={() => void leave()}>
      Use local store
    </button>
  );
}
