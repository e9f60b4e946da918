import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import type { AppInfo } from '../../../shared/contract.js';
import type { ExportFormat } from '../../../shared/export.js';
import { EXPORT_FORMATS } from '../../../shared/export.js';
import type { ScheduleState } from '../../../shared/schedules.js';
import type { Theme } from '../stores/ui.js';
import { preferences } from '../stores/preferences.js';
import { UPDATE_FEED_PREFERENCE } from '../../../shared/preferences.js';
import { useUi } from '../stores/ui.js';
import { api, setStoreKey, switchStore, teamServerConnector } from '../transport.js';
import { TeamServerSection } from '../components/team-server-section.js';
import { FormMessage } from '../components/form-message.js';
import { StoreKeyForm, useRestartingAction } from '../components/store-key-form.js';
import { can } from '../session.js';
import { errorText } from '../format.js';

const HOST_LABELS: Record<AppInfo['host'], string> = {
  desktop: 'Desktop app',
  serve: 'Browser (infrascope serve)',
  cli: 'Command line',
};

const FORMAT_LABELS: Record<ExportFormat, string> = {
  xlsx: 'XLSX (RVTools layout)',
  csv: 'CSV (zip)',
  json: 'JSON snapshot',
};

/** The form's fields; numbers stay text while typed and are checked by the core on save. */
interface ScheduleForm {
  exportEnabled: boolean;
  format: ExportFormat;
  folder: string;
  everyHours: string;
  keep: string;
  beforeSync: boolean;
  afterSync: boolean;
  snapshotKeep: string;
}

function toForm(s: ScheduleState): ScheduleForm {
  return {
    exportEnabled: s.settings.export.enabled,
    format: s.settings.export.format,
    folder: s.settings.export.folder,
    everyHours: String(s.settings.export.everyHours),
    keep: String(s.settings.export.keep),
    beforeSync: s.settings.snapshots.beforeSync,
    afterSync: s.settings.snapshots.afterSync,
    snapshotKeep: String(s.settings.snapshots.keep),
  };
}

/** Scheduled exports to a folder, and snapshots around each sync (`schedules:get`/`set`). */
function ScheduleSection(): ReactElement {
  const [state, setState] = useState<ScheduleState | null>(null);
  const [form, setForm] = useState<ScheduleForm | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const editable = can('schedules:set');

  useEffect(() => {
    let live = true;
    api.invoke('schedules:get', {}).then(
      (s) => {
        if (!live) return;
        setState(s);
        setForm(toForm(s));
      },
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, []);

  const patch = (p: Partial<ScheduleForm>): void => {
    setSaved(false);
    setForm((f) => (f ? { ...f, ...p } : f));
  };

  const save = async (): Promise<void> => {
    if (!form) return;
    setBusy(true);
    setError(null);
    try {
      const s = await api.invoke('schedules:set', {
        export: {
          enabled: form.exportEnabled,
          format: form.format,
          folder: form.folder.trim(),
          everyHours: Number(form.everyHours),
          keep: Number(form.keep),
        },
        snapshots: {
          beforeSync: form.beforeSync,
          afterSync: form.afterSync,
          keep: Number(form.snapshotKeep),
        },
      });
      setState(s);
      setForm(toForm(s));
      setSaved(true);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const last = state?.lastExport ?? null;
  return (
    <section className="panel" aria-label="Scheduled exports and snapshots">
      <h2>Scheduled exports and snapshots</h2>
      {!form && !error && <p className="muted">Loading…</p>}
      {form && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          {!editable && <p className="muted">Only an admin changes the schedules.</p>}
          <fieldset className="bare" disabled={!editable}>
            <div className="checks">
              <label>
                <input
                  type="checkbox"
                  checked={form.exportEnabled}
                  onChange={(e) => patch({ exportEnabled: e.target.checked })}
                />{' '}
                Export on a schedule
              </label>
            </div>
            <div className="field">
              <label htmlFor="schedule-format">Format</label>
              <select
                id="schedule-format"
                value={form.format}
                onChange={(e) => patch({ format: e.target.value as ExportFormat })}
              >
                {EXPORT_FORMATS.map((f) => (
                  <option key={f} value={f}>
                    {FORMAT_LABELS[f]}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="schedule-folder">Folder</label>
              <input
                id="schedule-folder"
                className="mono"
                placeholder={'/srv/exports or D:\\Exports'}
                value={form.folder}
                onChange={(e) => patch({ folder: e.target.value })}
              />
              <span className="hint">
                Files are named infrascope-scheduled-…; only those are ever deleted.
              </span>
            </div>
            <div className="field">
              <label htmlFor="schedule-every">Every (hours)</label>
              <input
                id="schedule-every"
                type="number"
                min={1}
                max={168}
                value={form.everyHours}
                onChange={(e) => patch({ everyHours: e.target.value })}
              />
            </div>
            <div className="field">
              <label htmlFor="schedule-keep">Keep the last</label>
              <input
                id="schedule-keep"
                type="number"
                min={1}
                max={1000}
                value={form.keep}
                onChange={(e) => patch({ keep: e.target.value })}
              />
            </div>
            <div className="checks">
              <label>
                <input
                  type="checkbox"
                  checked={form.beforeSync}
                  onChange={(e) => patch({ beforeSync: e.target.checked })}
                />{' '}
                Snapshot before each sync
              </label>
              <label>
                <input
                  type="checkbox"
                  checked={form.afterSync}
                  onChange={(e) => patch({ afterSync: e.target.checked })}
                />{' '}
                Snapshot after each successful sync
              </label>
            </div>
            <div className="field">
              <label htmlFor="schedule-snapshot-keep">Keep the last sync snapshots</label>
              <input
                id="schedule-snapshot-keep"
                type="number"
                min={1}
                max={1000}
                value={form.snapshotKeep}
                onChange={(e) => patch({ snapshotKeep: e.target.value })}
              />
              <span className="hint">Manual and imported snapshots are never deleted.</span>
            </div>
            {last && (
              <p className={last.error ? 'field-error' : 'muted'}>
                Last export {new Date(last.at).toLocaleString()}:{' '}
                {last.error ? last.error.message : last.file}
              </p>
            )}
            {state?.nextExportAt && (
              <p className="muted">Next export {new Date(state.nextExportAt).toLocaleString()}</p>
            )}
          </fieldset>
          {editable && (
            <div className="dialog-actions">
              {saved && <span className="muted">Saved</span>}
              <button type="submit" className="btn primary" disabled={busy}>
                {busy ? 'Saving…' : 'Save'}
              </button>
            </div>
          )}
        </form>
      )}
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
    </section>
  );
}

/** About this installation, the appearance, and scheduled exports and snapshots. */
export function SettingsPage(): ReactElement {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { theme, toggleTheme } = useUi();

  useEffect(() => {
    let live = true;
    api.invoke('app:info', {}).then(
      (i) => live && setInfo(i),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, []);

  const choose = (t: Theme): void => {
    if (t !== theme) toggleTheme();
  };

  return (
    <section className="page scroll" aria-label="Settings">
      <header className="page-header">
        <h1>Settings</h1>
      </header>
      <section className="panel" aria-label="About">
        <h2>About</h2>
        {error && (
          <div role="alert" className="error">
            {error}
          </div>
        )}
        {!info && !error && <p className="muted">Loading…</p>}
        {info && (
          <dl className="info-list">
            <dt>Version</dt>
            <dd>
              {info.name} {info.version}
            </dd>
            <dt>Running as</dt>
            <dd>{HOST_LABELS[info.host]}</dd>
            <dt>Data directory</dt>
            <dd className="mono">{info.dataDir}</dd>
            <dt>Store</dt>
            <dd className="mono">
              {info.store.engine === 'postgres' ? 'Team store (PostgreSQL) ' : 'Local (SQLite) '}
              {info.store.location}
            </dd>
            <dt>Vault backend</dt>
            <dd>{info.vaultBackend}</dd>
            <dt>Schema version</dt>
            <dd className="mono">{info.schemaVersion}</dd>
            <dt>Backups</dt>
            {info.backups.by === 'server' ? (
              <dd>{info.backups.note}</dd>
            ) : (
              <dd className="mono">{info.backups.dir ?? 'none (an in-memory store)'}</dd>
            )}
          </dl>
        )}
      </section>
      <section className="panel" aria-label="Appearance">
        <h2>Appearance</h2>
        <fieldset className="theme-choice">
          <legend>Theme</legend>
          {(['light', 'dark'] as const).map((t) => (
            <label key={t}>
              <input
                type="radio"
                name="theme"
                value={t}
                checked={theme === t}
                onChange={() => choose(t)}
              />{' '}
              {t === 'light' ? 'Light' : 'Dark'}
            </label>
          ))}
        </fieldset>
      </section>
      <ScheduleSection />
      {info?.host === 'desktop' && switchStore && (
        <StoreSection current={info.store} storeKey={info.storeKey} change={switchStore} />
      )}
      {info?.host === 'desktop' && teamServerConnector && (
        <TeamServerSection connector={teamServerConnector} />
      )}
      {info?.host === 'desktop' && <UpdatesSection />}
    </section>
  );
}

/**
 * The desktop app's update feed (a generic electron-updater feed: the folder holding the
 * installers and latest*.yml). Off while empty; read at the next start. An administrator's
 * config file, when present, wins over it.
 */
function UpdatesSection(): ReactElement {
  const [feed, setFeed] = useState(() => preferences.getItem(UPDATE_FEED_PREFERENCE) ?? '');
  const [saved, setSaved] = useState<string | null>(null);
  const save = (): void => {
    const value = feed.trim();
    if (value === '') preferences.removeItem(UPDATE_FEED_PREFERENCE);
    else preferences.setItem(UPDATE_FEED_PREFERENCE, value);
    setSaved(
      value === '' ? 'Updates are off.' : 'Saved: Infrascope checks this feed at its next start.',
    );
  };
  return (
    <section className="panel" aria-label="Updates">
      <h2>Updates</h2>
      <p className="muted">
        Infrascope updates itself from a feed your organisation hosts (the folder with the
        installers and their latest.yml). Leave it empty to keep updates off.
      </p>
      <label>
        Update feed URL{' '}
        <input
          type="url"
          value={feed}
          placeholder="https://updates.example.com/infrascope/"
          onChange={(e) => setFeed(e.target.value)}
        />
      </label>{' '}
      <button type="button" className="btn" onClick={save}>
        Save
      </button>
      {saved && <p role="status">{saved}</p>}
    </section>
  );
}

/**
 * Settings → Store (desktop): open a team store (PostgreSQL) instead of the local file, or go
 * back. Main checks the store answers before it saves the choice (the password sealed by the OS)
 * and restarts onto it; the local store is left as it is.
 */
function StoreSection({
  current,
  storeKey,
  change,
}: {
  current: AppInfo['store'];
  storeKey: AppInfo['storeKey'];
  change: (location: string | null) => Promise<void>;
}): ReactElement {
  const [url, setUrl] = useState('');
  const { busy, message, run } = useRestartingAction(change, 'Restarting onto the chosen store…');
  return (
    <section className="panel" aria-label="Store">
      <h2>Store</h2>
      <p className="muted">
        {current.engine === 'postgres'
          ? 'This app uses a team store: the inventory, history and alerts are shared with everyone using it.'
          : 'This app uses the local store in its data directory. A team store (PostgreSQL) shares one inventory between several people and machines.'}
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (url.trim()) run(url.trim());
        }}
      >
        <label>
          Team store URL{' '}
          <input
            type="password"
            autoComplete="off"
            placeholder="postgres://user:password@host/database?sslmode=verify-full"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            aria-label="Team store URL"
          />
        </label>{' '}
        <button type="submit" disabled={busy || !url.trim()}>
          Connect and restart
        </button>
        {current.engine === 'postgres' && (
          <button type="button" disabled={busy} onClick={() => run(null)}>
            Use the local store
          </button>
        )}
      </form>
      <FormMessage message={message} />
      {storeKey && setStoreKey && <StoreKeyForm info={storeKey} give={setStoreKey} />}
    </section>
  );
}
