import type { ReactElement } from 'react';
import { useNow } from '../hooks/use-now.js';
import { useLive } from '../stores/live.js';
import { exactTime } from './cell-format.js';

/**
 * Online / offline at a glance: the core answers the renderer's heartbeat, or it does not; and
 * when it does, whether its store (a team store on another machine) answers it.
 */
export function ConnectionIndicator(): ReactElement {
  const { online, lastContact, store } = useLive();
  useNow(5000);
  const last = lastContact ? exactTime(new Date(lastContact).toISOString()) : 'never';
  if (online && store.state === 'unavailable') {
    return (
      <div
        className="connection offline"
        role="status"
        aria-label="Store unavailable"
        title={`The store stopped answering at ${exactTime(store.since)} (${store.message}). Retrying with backoff: ${store.attempts} tries so far, the next at ${exactTime(store.nextProbeAt)}. Showing the last data loaded.`}
      >
        <span className="dot" aria-hidden="true" />
        Store unavailable — retrying; showing the last data loaded
      </div>
    );
  }
  return (
    <div
      className={`connection ${online ? 'online' : 'offline'}`}
      role="status"
      aria-label={online ? 'Connected' : 'Offline'}
      title={
        online
          ? `Connected to the core; last answer ${last}`
          : `The core is not answering; last answer ${last}. Showing the last data loaded.`
      }
    >
      <span className="dot" aria-hidden="true" />
      {online ? 'Connected' : 'Offline — showing the last data loaded'}
    </div>
  );
}
