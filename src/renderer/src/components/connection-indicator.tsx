import type { ReactElement } from 'react';
import { useNow } from '../hooks/use-now.js';
import { useLive } from '../stores/live.js';
import { exactTime } from './cell-format.js';

/** Online / offline at a glance: the core answers the renderer's heartbeat, or it does not. */
export function ConnectionIndicator(): ReactElement {
  const { online, lastContact } = useLive();
  useNow(5000);
  const last = lastContact ? exactTime(new Date(lastContact).toISOString()) : 'never';
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
