import { chmodSync, existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/*
 * The data directory holds the inventory, the log, backups, exports and the vault key: nothing in
 * it is for other users of the machine. New files are created private (umask 077) and what is
 * already there is checked at start and corrected, each correction reported.
 */

/** How deep the start-up check walks below the data directory (backups/x, exports/a/b). */
const MAX_DEPTH = 3;

/**
 * What of the data directory is ours: the store (and its -wal/-shm, recovery copies), logs, the
 * vault key, backups and exports. The desktop's data directory also holds Chromium's files, and a
 * user may point --data-dir at a folder with other things in it: those are left alone.
 */
const OURS = /^(infrascope[^/]*|[^/]*\.log|vault\.key|backups|exports|logs)$/;

export interface PrivateFix {
  readonly path: string;
  /** Octal modes, e.g. '0644' → '0600'. */
  readonly from: string;
  readonly to: string;
}

const octal = (m: number): string => m.toString(8).padStart(4, '0');

/**
 * Makes files this process creates private from now on (umask 077: folders 0700, files 0600) and
 * takes group and other access away from `dataDir` and what of ours is in it (see {@link OURS}),
 * never following links. Returns
 * what it corrected. Windows has no modes to speak of: nothing is done there.
 *
 * @example
 * for (const f of makePrivate(dataDir)) log.warn(f, 'data file was readable by others; corrected');
 */
export function makePrivate(
  dataDir: string,
  platform: NodeJS.Platform = process.platform,
): PrivateFix[] {
  if (platform === 'win32') return [];
  process.umask(0o077);
  const fixes: PrivateFix[] = [];
  const visit = (path: string, depth: number): void => {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return;
    const mode = st.mode & 0o777;
    // Take away what group and others may do; the owner's bits stay as they are.
    if ((st.isDirectory() || st.isFile()) && (mode & 0o077) !== 0) {
      chmodSync(path, mode & 0o700);
      fixes.push({ path, from: octal(mode), to: octal(mode & 0o700) });
    }
    if (st.isDirectory() && depth < MAX_DEPTH) {
      for (const name of readdirSync(path)) {
        if (depth > 0 || OURS.test(name)) visit(join(path, name), depth + 1);
      }
    }
  };
  if (existsSync(dataDir)) visit(dataDir, 0);
  return fixes;
}
