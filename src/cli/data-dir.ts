import { homedir, platform } from 'node:os';
import { join } from 'node:path';

/**
 * The desktop app's userData folder for this OS (Electron's `app.getPath('userData')` for an app
 * named Infrascope), so the CLI and the desktop app share one store by default.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['INFRASCOPE_DATA_DIR']) return env['INFRASCOPE_DATA_DIR'];
  switch (platform()) {
    case 'win32':
      return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'Infrascope');
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'Infrascope');
    default:
      return join(env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'Infrascope');
  }
}
