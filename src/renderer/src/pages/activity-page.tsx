import { useMemo, useState } from 'react';
import type { ReactElement } from 'react';
import type { Filter } from '../../../shared/query.js';
import { InventoryTable } from '../components/inventory-table.js';
import { useDebounced } from '../hooks/use-debounced.js';

/**
 * The audit rows of one person: on a team server the actor is `name@address` (and
 * `token:name@address` for an API token), so the rows whose actor begins with `name@` — the
 * range [`name@`, `name` + the character after `@`), and containing `name@` for collations that
 * skip punctuation when they order text (PostgreSQL's usual ones).
 */
export function userFilters(user: string): Filter[] {
  const name = user.trim();
  if (!name) return [];
  return [
    { field: 'actor', op: '~', value: `${name}@` },
    { field: 'actor', op: '>=', value: `${name}@` },
    { field: 'actor', op: '<', value: `${name}A` },
  ];
}

type Tab = 'sync-runs' | 'audit';

/**
 * What happened to the endpoints: every sync run (result, counts, duration, error) and the audit
 * log of configuration changes (who, when, what — never a secret). Filter by the Endpoint column
 * for one endpoint's history, and the audit log by user (a team server's account).
 */
export function ActivityPage(): ReactElement {
  const [tab, setTab] = useState<Tab>('sync-runs');
  const [user, setUser] = useState('');
  const debouncedUser = useDebounced(user, 200);
  const byUser = useMemo(() => userFilters(debouncedUser), [debouncedUser]);
  return (
    <section className="page" aria-label="Activity">
      <div className="toolbar" role="tablist" aria-label="Activity views">
        <button
          role="tab"
          aria-selected={tab === 'sync-runs'}
          className={`chip ${tab === 'sync-runs' ? 'active' : ''}`}
          onClick={() => setTab('sync-runs')}
        >
          Sync history
        </button>
        <button
          role="tab"
          aria-selected={tab === 'audit'}
          className={`chip ${tab === 'audit' ? 'active' : ''}`}
          onClick={() => setTab('audit')}
        >
          Audit log
        </button>
        {tab === 'audit' && (
          <label className="user-filter">
            <span>User</span>
            <input
              aria-label="Filter by user"
              placeholder="account name"
              value={user}
              onChange={(e) => setUser(e.target.value)}
            />
          </label>
        )}
      </div>
      {tab === 'sync-runs' ? (
        <InventoryTable
          key="sync-runs"
          kind="sync-runs"
          title="Sync history"
          noun="sync runs"
          emptyHint="No syncs yet. Add an endpoint and press Sync now."
          columns={[
            'startedAt',
            'endpoint',
            'mode',
            'status',
            'durationMs',
            'seen',
            'created',
            'updated',
            'deleted',
            'errorCode',
            'errorMessage',
          ]}
        />
      ) : (
        <InventoryTable
          key="audit"
          kind="audit"
          title="Audit log"
          noun="entries"
          emptyHint="No configuration changes recorded yet."
          columns={['at', 'actor', 'action', 'target', 'details']}
          fixedFilters={byUser}
        />
      )}
    </section>
  );
}
