import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { AppError, isAppError } from '../../shared/errors.js';
import type { SnapshotInfo } from '../../shared/export.js';
import type { Store } from '../store/sqlite.js';
import { importSnapshot } from './capability.js';
import type { ImportControl } from './import-runs.js';

/*
 * Import of a file a person picked: in the desktop a path the main process's own open dialog
 * returned, in `serve` the bytes a browser uploaded. The format is told by the content (an XLSX
 * is a zip, `PK\x03\x04`; a JSON snapshot is gzip, `\x1f\x8b`), never by a name the client sent.
 * The snapshot is written in one transaction after the whole file parsed, so a bad file leaves
 * nothing behind.
 */

/** Largest upload `serve` accepts: RVTools workbooks of ~100,000 VMs stay well below. */
export const MAX_IMPORT_BYTES = 256 * 2 ** 20;

export type ImportFormat = 'rvtools' | 'json';

/** The import format the first bytes of a file announce, or null. */
export function sniffImportFormat(head: Uint8Array): ImportFormat | null {
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return 'rvtools';
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'json';
  return null;
}

export interface ImportFileOptions extends ImportControl {
  /** What to call the file in messages and the default label (its base name). */
  readonly name: string;
  readonly label?: string;
}

/** A label from a client-sent file name: its base name, trimmed to what a label may hold. */
function labelOf(name: string): string {
  const base = basename(name.replace(/\\/g, '/')).trim();
  return (base || 'import').slice(0, 200);
}

/**
 * Imports the file at `file` as a read-only snapshot, its format told by its first bytes. Any
 * failure is an `IMPORT_INVALID` naming `opts.name` (never a temporary path); an abort of
 * `opts.signal` is a `CANCELLED` that saved nothing.
 */
export async function importSnapshotFile(
  store: Store,
  file: string,
  opts: ImportFileOptions,
): Promise<SnapshotInfo> {
  const name = labelOf(opts.name);
  const handle = await open(file, 'r');
  const head = Buffer.alloc(4);
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  const format = sniffImportFormat(head);
  if (format === null) {
    throw new AppError(
      'IMPORT_INVALID',
      `${name} is neither an RVTools workbook (.xlsx) nor an Infrascope JSON snapshot (.json.gz)`,
      { reason: 'unknown-type' },
    );
  }
  try {
    return await importSnapshot(store, file, {
      format,
      label: opts.label ?? name,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.limits ? { limits: opts.limits } : {}),
    });
  } catch (e) {
    if (isAppError(e) && e.code === 'VALIDATION') {
      throw new AppError('IMPORT_INVALID', e.message.split(file).join(name), {
        reason: 'unreadable',
        format,
      });
    }
    throw e;
  }
}

/**
 * Counts bytes through the stream, reports them (phase `upload`, of `total` when the sender told
 * it) and fails once more than `max` went by.
 */
function byteLimit(
  max: number,
  name: string,
  total: number | undefined,
  onProgress: ImportControl['onProgress'],
): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      onProgress?.({ phase: 'upload', done: seen, ...(total !== undefined ? { total } : {}) });
      if (seen > max) {
        cb(
          new AppError(
            'IMPORT_INVALID',
            `${name} is larger than the ${Math.round(max / 2 ** 20)} MiB an import may be`,
            { reason: 'too-large', limit: max },
          ),
        );
      } else cb(null, chunk);
    },
  });
}

/**
 * Imports uploaded bytes: writes them to a private temporary file (at most `maxBytes`), imports
 * it as `importSnapshotFile` does, and deletes it whatever happened (a cancel included).
 * `size` is the length the sender announced, the total of the `upload` progress.
 *
 * @example
 * await importSnapshotUpload(core.store, req, { name: 'RVTools_export_all.xlsx' });
 */
export async function importSnapshotUpload(
  store: Store,
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: ImportFileOptions & { readonly maxBytes?: number; readonly size?: number },
): Promise<SnapshotInfo> {
  const name = labelOf(opts.name);
  const dir = await mkdtemp(join(tmpdir(), 'infrascope-import-'));
  try {
    const file = join(dir, 'upload');
    try {
      await pipeline(
        Readable.from(body),
        byteLimit(opts.maxBytes ?? MAX_IMPORT_BYTES, name, opts.size, opts.onProgress),
        createWriteStream(file, { mode: 0o600 }),
        ...(opts.signal ? [{ signal: opts.signal }] : []),
      );
    } catch (e) {
      if (opts.signal?.aborted) throw new AppError('CANCELLED', 'Import cancelled');
      throw e;
    }
    return await importSnapshotFile(store, file, { ...opts, name });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
