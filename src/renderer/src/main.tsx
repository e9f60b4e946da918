import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { loadSession } from './session.js';
import { connectPreferences } from './stores/preferences.js';
import { api, hasServeToken } from './transport.js';
import './styles.css';

/*
 * The preferences (theme, scope, table layouts) come from the core before the app's stores are
 * created, so the first paint already has them; until then index.html's start-up note shows
 * (in the desktop app, while the store opens or migrates).
 */
async function start(): Promise<void> {
  const session = await loadSession(hasServeToken);
  if (session.kind === 'signed-out') {
    const { LoginPage } = await import('./pages/login-page.js');
    createRoot(document.getElementById('root')!).render(
      <StrictMode>
        <LoginPage oidc={session.oidc} />
      </StrictMode>,
    );
    return;
  }
  await connectPreferences(api);
  const { App } = await import('./app.js');
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}

void start();
