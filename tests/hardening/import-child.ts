// Child process for the import bomb tests: imports FILE into a store in DIR the way the desktop
// and the CLI do (or, with --upload, as serve's upload does) and prints one JSON line: the error
// code, message and details (or the snapshot id), the snapshots in the store, and its peak RSS.
// The store is DIR's SQLite file, or the team store INFRASCOPE_STORE names (as for the app).
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { STORE_FILE, openStore } from '../../src/core/store/sqlite.js';
import { importSnapshotFile, importSnapshotUpload } from '../../src/core/snapshots/upload.js';
import { isAppError } from '../../src/shared/errors.js';

const [dir, file, mode] = process.argv.slice(2) as [string, string, string | undefined];
const store = await openStore({ file: process.env['INFRASCOPE_STORE'] ?? join(dir, STORE_FILE) });
const t0 = performance.now();
let outcome: Record<string, unknown>;
try {
  const info =
    mode === '--upload'
      ? await importSnapshotUpload(store, createReadStream(file), {
          name: 'upload',
          maxBytes: 2 ** 30,
        })
      : await importSnapshotFile(store, file, { name: 'bomb' });
  outcome = { ok: true, id: info.id };
} catch (e) {
  outcome = isAppError(e)
    ? { ok: false, code: e.code, message: e.message, details: e.details ?? null }
    : { ok: false, code: null, message: String(e) };
}
const ms = performance.now() - t0;
const counted = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM snapshot_set`.execute(
  store.db,
);
await store.close();
process.stdout.write(
  JSON.stringify({
    ...outcome,
    ms,
    snapshots: Number(counted.rows[0]?.n),
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  }) + '\n',
);
