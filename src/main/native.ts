import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * better-sqlite3 compiled for Electron's ABI lives apart from the Node build in .native/electron
 * (scripts/native-electron.mjs puts it there), so `npm test` (Node ABI) and `npm start`
 * (Electron ABI) both work in either order.
 */
export function nativeBindingPath(
  root = join(dirname(fileURLToPath(import.meta.url)), '..', '..'),
  electronVersion = process.versions.electron,
): string | null {
  if (!electronVersion) return null;
  const file = join(root, '.native', 'electron', `v${electronVersion}`, 'better_sqlite3.node');
  return existsSync(file) ? file : null;
}
