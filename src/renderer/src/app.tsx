import { useEffect } from 'react';
import type { ReactElement } from 'react';
import { InventoryTable } from './components/inventory-table.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { EndpointsPage } from './pages/endpoints-page.js';
import { SettingsPage } from './pages/settings-page.js';
import type { Page } from './stores/ui.js';
import { PAGES, useUi } from './stores/ui.js';

const LABELS: Record<Page, string> = {
  dashboard: 'Dashboard',
  vms: 'VMs',
  hosts: 'Hosts',
  clusters: 'Clusters',
  datastores: 'Datastores',
  networks: 'Networks',
  changes: 'Changes',
  alerts: 'Alerts',
  endpoints: 'Endpoints',
  settings: 'Settings',
};

const NO_DATA = 'No inventory yet. Add an endpoint and sync it.';

function PageView({ page }: { page: Page }): ReactElement {
  switch (page) {
    case 'vms':
      return (
        <InventoryTable
          kind="vms"
          title="Virtual machines"
          noun="VMs"
          emptyHint={NO_DATA}
          columns={['name', 'powerState', 'endpoint', 'cluster', 'host', 'guestOs', 'ipAddress', 'cpuCount', 'memoryMb', 'provisionedBytes', 'snapshotCount', 'lastSeen']}
        />
      );
    case 'hosts':
      return (
        <InventoryTable
          kind="hosts"
          title="Hosts"
          noun="hosts"
          emptyHint={NO_DATA}
          columns={['name', 'connectionState', 'inMaintenance', 'endpoint', 'cluster', 'model', 'cpuCores', 'cpuUsageMhz', 'memoryBytes', 'memoryUsageBytes', 'vmCount', 'version']}
        />
      );
    case 'clusters':
      return (
        <InventoryTable kind="clusters" title="Clusters" noun="clusters" emptyHint={NO_DATA} columns={['name', 'endpoint', 'datacenter', 'haEnabled', 'drsEnabled', 'hostCount', 'vmCount', 'totalCpuMhz', 'totalMemoryBytes']} />
      );
    case 'datastores':
      return (
        <InventoryTable kind="datastores" title="Datastores" noun="datastores" emptyHint={NO_DATA} columns={['name', 'endpoint', 'type', 'capacityBytes', 'freeBytes', 'usedPercent', 'provisionedBytes', 'hostCount', 'vmCount', 'accessible']} />
      );
    case 'networks':
      return (
        <InventoryTable kind="networks" title="Networks" noun="networks" emptyHint={NO_DATA} columns={['name', 'endpoint', 'networkType', 'switchName', 'vlanId', 'vmCount', 'hostCount']} />
      );
    case 'changes':
      return (
        <InventoryTable kind="changes" title="Changes" noun="changes" emptyHint="No changes recorded yet." columns={['at', 'endpoint', 'entityType', 'name', 'kind', 'field', 'oldValue', 'newValue', 'user']} />
      );
    case 'alerts':
      return (
        <InventoryTable kind="alerts" title="Alerts" noun="alerts" emptyHint="No alerts." columns={['severity', 'state', 'name', 'message', 'endpoint', 'raisedAt']} />
      );
    case 'endpoints':
      return <EndpointsPage />;
    case 'dashboard':
      return <DashboardPage />;
    case 'settings':
      return <SettingsPage />;
  }
}

export function App(): ReactElement {
  const { page, setPage, theme, toggleTheme } = useUi();
  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
  }, [theme]);
  useEffect(() => {
    const onHash = (): void => {
      const p = location.hash.replace(/^#\/?/, '');
      if ((PAGES as readonly string[]).includes(p)) useUi.setState({ page: p as Page });
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Infrascope</div>
        <ul>
          {PAGES.map((p) => (
            <li key={p}>
              <button className={p === page ? 'active' : ''} aria-current={p === page ? 'page' : undefined} onClick={() => setPage(p)}>
                {LABELS[p]}
              </button>
            </li>
          ))}
        </ul>
        <button className="theme" onClick={toggleTheme} aria-label="Toggle theme">
          {theme === 'dark' ? 'Light theme' : 'Dark theme'}
        </button>
      </nav>
      <main className="content">
        <PageView page={page} />
      </main>
    </div>
  );
}
