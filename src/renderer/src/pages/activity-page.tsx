import { useState } from 'react';
import type { ReactElement } from 'react';
import { InventoryTable } from '../components/inventory-table.js';

type Tab = 'sync-runs' | 'audit';

/**
 * What happened to the endpoints: every sync run (result, counts, duration, error) and the audit
 * log of configuration changes (who, when, what — never a secret). Filter by the Endpoint column
 * for one endpoint's history.
 */
export function ActivityPage(): ReactElement {
  const [tab, setTab] = useState<Tab>('sync-runs');
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
        />
      )}
    </section>
  );
}
