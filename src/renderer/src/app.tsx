import { useEffect } from 'react';
import type { ReactElement } from 'react';
import { CommandPalette } from './components/command-palette.js';
import { AccountBar } from './components/account-bar.js';
import { can, session } from './session.js';
import { ConnectionIndicator } from './components/connection-indicator.js';
import { DetailPanel } from './components/detail-panel.js';
import { ExportDialog } from './components/export-dialog.js';
import { ScopeSelector } from './components/scope-selector.js';
import { ShortcutsHelp } from './components/shortcuts-help.js';
import { ActivityPage } from './pages/activity-page.js';
import { AlertsPage } from './pages/alerts-page.js';
import { CapacityPage } from './pages/capacity-page.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { EndpointsPage } from './pages/endpoints-page.js';
import { HistoryPage } from './pages/history-page.js';
import { InventoryPage, isTablePage } from './pages/inventory-pages.js';
import { SettingsPage } from './pages/settings-page.js';
import { UsersPage } from './pages/users-page.js';
import { startAlerts } from './stores/alerts.js';
import { useDetails } from './stores/details.js';
import { useExport } from './stores/export.js';
import { startLive } from './stores/live.js';
import { useOverlays } from './stores/overlays.js';
import { api } from './transport.js';
import type { ThemePref } from './stores/theme.js';
import { connectTheme, useThemePref } from './stores/theme.js';
import type { Page } from './stores/ui.js';
import { PAGES, useUi } from './stores/ui.js';

const LABELS: Record<Page, string> = {
  dashboard: 'Dashboard',
  vms: 'VMs',
  hosts: 'Hosts',
  clusters: 'Clusters',
  datastores: 'Datastores',
  networks: 'Networks',
  'resource-pools': 'Resource pools',
  snapshots: 'Snapshots',
  changes: 'Changes',
  history: 'History',
  alerts: 'Alerts',
  capacity: 'Capacity',
  endpoints: 'Endpoints',
  activity: 'Activity',
  users: 'Users',
  settings: 'Settings',
};

/**
 * Whether the page is offered to this person: Users only to an admin of a team server (a local
 * store has no accounts), the others to everyone.
 */
function offered(page: Page): boolean {
  return page !== 'users' || (session().kind === 'account' && can('users:list'));
}

/** "g" then a letter jumps to a page. */
const GO_KEYS: Record<string, Page> = {
  d: 'dashboard',
  v: 'vms',
  h: 'hosts',
  c: 'clusters',
  s: 'datastores',
  n: 'networks',
  r: 'resource-pools',
  p: 'snapshots',
  l: 'changes',
  a: 'alerts',
  e: 'endpoints',
};

function PageView({ page }: { page: Page }): ReactElement {
  if (isTablePage(page)) return <InventoryPage page={page} />;
  if (!offered(page)) return <DashboardPage />;
  switch (page) {
    case 'alerts':
      return <AlertsPage />;
    case 'capacity':
      return <CapacityPage />;
    case 'endpoints':
      return <EndpointsPage />;
    case 'activity':
      return <ActivityPage />;
    case 'history':
      return <HistoryPage />;
    case 'dashboard':
      return <DashboardPage />;
    case 'settings':
      return <SettingsPage />;
    case 'users':
      return <UsersPage />;
    default:
      return <DashboardPage />;
  }
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

/** Global shortcuts: Ctrl+K, "?", "/", "g" + letter, Esc. */
function useGlobalShortcuts(): void {
  useEffect(() => {
    let goPending = 0;
    const onKey = (e: KeyboardEvent): void => {
      const overlays = useOverlays.getState();
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        overlays.setPalette(!overlays.palette);
        return;
      }
      if (e.defaultPrevented || typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (overlays.palette || overlays.help) return;
      if (e.key === '?') {
        e.preventDefault();
        overlays.setHelp(true);
      } else if (e.key === '/') {
        const box = document.querySelector<HTMLInputElement>('.content input[type="search"]');
        if (box) {
          e.preventDefault();
          box.focus();
        }
      } else if (e.key === 'Escape' && useDetails.getState().target) {
        useDetails.getState().close();
      } else if (e.key === 'g') {
        goPending = Date.now();
      } else if (Date.now() - goPending < 1200 && GO_KEYS[e.key]) {
        goPending = 0;
        useUi.getState().setPage(GO_KEYS[e.key]!);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

export function App(): ReactElement {
  const { page, setPage, theme } = useUi();
  const { pref, setPref } = useThemePref();
  const panelOpen = useDetails((s) => s.target !== null);
  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
  }, [theme]);
  useEffect(() => connectTheme(), []);
  useEffect(() => startLive(), []);
  useEffect(() => startAlerts(), []);
  useGlobalShortcuts();
  useEffect(
    // The desktop menu's File and Edit items open the page's own dialogs and pages.
    () =>
      api.on('app:command', ({ command }) => {
        // The menu is the same for every role; what the role may not do is not opened.
        if (command === 'export') {
          if (can('export:save')) useExport.getState().openDialog();
        } else if (command === 'settings') setPage('settings');
        else if (command === 'search') useOverlays.getState().setPalette(true);
        else if (command === 'import-snapshot' && can('snapshots:import')) {
          useOverlays.getState().requestImport(true);
          setPage('history');
        }
      }),
    [setPage],
  );
  useEffect(() => {
    const onHash = (): void => {
      const p = location.hash.replace(/^#\/?/, '');
      if ((PAGES as readonly string[]).includes(p)) useUi.setState({ page: p as Page });
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return (
    <div className={`shell${panelOpen ? ' with-panel' : ''}`}>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Infrascope</div>
        <button
          className="palette-button"
          onClick={() => useOverlays.getState().setPalette(true)}
          title="Search everything (Ctrl+K)"
        >
          <span>Search…</span>
          <kbd>Ctrl K</kbd>
        </button>
        <ScopeSelector />
        <ul>
          {PAGES.filter(offered).map((p) => (
            <li key={p}>
              <button
                className={p === page ? 'active' : ''}
                aria-current={p === page ? 'page' : undefined}
                onClick={() => setPage(p)}
              >
                {LABELS[p]}
              </button>
            </li>
          ))}
        </ul>
        {can('export:save') && (
          <button
            className="btn export-button"
            aria-haspopup="dialog"
            onClick={() => useExport.getState().openDialog()}
          >
            Export…
          </button>
        )}
        <ConnectionIndicator />
        <AccountBar />
        <label className="theme-select">
          <span>Theme</span>
          <select
            aria-label="Theme"
            value={pref}
            onChange={(e) => setPref(e.target.value as ThemePref)}
          >
            <option value="system">System</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
        <button
          className="help-button"
          onClick={() => useOverlays.getState().setHelp(true)}
          aria-label="Keyboard shortcuts"
          title="Keyboard shortcuts (?)"
        >
          Shortcuts <kbd>?</kbd>
        </button>
      </nav>
      <main className="content">
        <PageView page={page} />
      </main>
      <DetailPanel />
      <CommandPalette pages={PAGES.filter(offered).map((p) => ({ page: p, label: LABELS[p] }))} />
      <ShortcutsHelp />
      <ExportDialog />
    </div>
  );
}
