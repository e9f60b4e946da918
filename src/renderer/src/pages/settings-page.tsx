import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import type { AppInfo } from '../../../shared/contract.js';
import type { Theme } from '../stores/ui.js';
import { useUi } from '../stores/ui.js';
import { api } from '../transport.js';

const HOST_LABELS: Record<AppInfo['host'], string> = {
  desktop: 'Desktop app',
  serve: 'Browser (infrascope serve)',
  cli: 'Command line',
};

/** About this installation, and the appearance. */
export function SettingsPage(): ReactElement {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { theme, toggleTheme } = useUi();

  useEffect(() => {
    let live = true;
    api.invoke('app:info', {}).then(
      (i) => live && setInfo(i),
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
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
            <dt>Vault backend</dt>
            <dd>{info.vaultBackend}</dd>
            <dt>Schema version</dt>
            <dd className="mono">{info.schemaVersion}</dd>
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
    </section>
  );
}
