import type { Menu, MenuItemConstructorOptions, Tray } from 'electron';
import type { Core } from '../core/core.js';
import type { AlertSummary } from '../shared/alerts.js';
import type { RequestOutput, SyncProgressEvent } from '../shared/contract.js';

/*
 * The tray icon while Infrascope runs (and keeps collecting with its window closed): its tooltip
 * and menu say what it is doing — syncing, endpoints failing, open critical alerts — and offer
 * Open, Sync all now and Quit.
 */

export interface TrayStatus {
  readonly syncing: number;
  readonly failing: number;
  readonly critical: number;
}

/** One line for the tooltip and the menu's first (disabled) item. */
export function describeStatus(s: TrayStatus): string {
  const parts: string[] = [];
  if (s.syncing > 0) parts.push(`syncing ${s.syncing} endpoint${s.syncing === 1 ? '' : 's'}`);
  if (s.failing > 0) parts.push(`${s.failing} endpoint${s.failing === 1 ? '' : 's'} failing`);
  if (s.critical > 0) parts.push(`${s.critical} critical alert${s.critical === 1 ? '' : 's'} open`);
  return parts.length === 0 ? 'Infrascope: all quiet' : `Infrascope: ${parts.join(', ')}`;
}

export interface TrayDeps {
  readonly tray: Pick<Tray, 'setToolTip' | 'setContextMenu' | 'on' | 'destroy'>;
  readonly buildMenu: (template: MenuItemConstructorOptions[]) => Menu;
  readonly core: Pick<Core, 'request' | 'events' | 'log'>;
  readonly open: () => void;
  readonly syncAll: () => void;
  readonly quit: () => void;
}

export interface TrayHandle {
  /** Reads the status from the core again and redraws. */
  refresh(): Promise<TrayStatus>;
  dispose(): void;
}

const ACTOR = { actor: 'desktop:tray', host: 'desktop' } as const;

/** Failing endpoints and open critical alerts, from the contract's own requests. */
async function readStatus(core: Pick<Core, 'request'>, syncing: number): Promise<TrayStatus> {
  const [endpoints, alerts] = await Promise.all([
    core.request('endpoints:list', {}, ACTOR),
    core.request('alerts:summary', {}, ACTOR),
  ]);
  const list = endpoints.ok ? (endpoints.result as RequestOutput<'endpoints:list'>) : [];
  const failing = list.filter(
    (e) => e.enabled && (e.status.lastStatus === 'failed' || e.status.circuitOpen),
  ).length;
  const critical = alerts.ok ? (alerts.result as AlertSummary).open.critical : 0;
  return { syncing, failing, critical };
}

export function startTray(deps: TrayDeps): TrayHandle {
  const running = new Set<number>();
  let last: TrayStatus = { syncing: 0, failing: 0, critical: 0 };
  const draw = (s: TrayStatus): void => {
    const line = describeStatus(s);
    deps.tray.setToolTip(line);
    deps.tray.setContextMenu(
      deps.buildMenu([
        { label: line, enabled: false },
        { type: 'separator' },
        { label: 'Open Infrascope', click: () => deps.open() },
        { label: 'Sync All Now', click: () => deps.syncAll() },
        { type: 'separator' },
        { label: 'Quit Infrascope', click: () => deps.quit() },
      ]),
    );
  };
  const refresh = async (): Promise<TrayStatus> => {
    try {
      last = await readStatus(deps.core, running.size);
    } catch (e) {
      deps.core.log.warn({ err: String(e) }, 'tray status unavailable');
      last = { ...last, syncing: running.size };
    }
    draw(last);
    return last;
  };
  draw(last);
  deps.tray.on('click', () => deps.open());
  const off = deps.core.events.subscribe((event, payload) => {
    if (event === 'sync:progress') {
      const p = payload as SyncProgressEvent;
      const before = running.size;
      if (p.state === 'running') running.add(p.endpointId);
      else running.delete(p.endpointId);
      if (running.size !== before) void refresh();
    } else if (event === 'alerts:changed' || event === 'alerts:raised') {
      void refresh();
    }
  });
  void refresh();
  return {
    refresh,
    dispose() {
      off();
      deps.tray.destroy();
    },
  };
}
