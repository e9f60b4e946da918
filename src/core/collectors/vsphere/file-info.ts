/**
 * The datastore file listing (RVTools' vFileInfo, its optional "GetFileInfo"): every datastore's
 * browser searched recursively (HostDatastoreBrowser.SearchDatastoreSubFolders_Task) for the
 * files' size, type and modification time. Slow on large estates (the host walks every folder of
 * every datastore), so it runs only when asked for, and it is bounded: a cap on files per
 * datastore and in all, a timeout per datastore, and the sync's AbortSignal (which cancels the
 * server's task too).
 */
import type { EntityOf, FileListing } from '../../../shared/entities.js';
import { AppError } from '../../../shared/errors.js';
import type { CollectContext, FileListingRequest } from '../collector.js';
import type { VimClient } from './client.js';
import { moRefOrThrow } from './session.js';
import { textXml, xmlEscape } from './request-xml.js';
import { arr, bool, num, obj, path, ref, str } from './vim-values.js';
import type { MoRef, VimValue } from './vim-values.js';

/** The bounds used where the request leaves one out. */
export const DEFAULT_FILE_LIMITS = {
  maxFilesPerDatastore: 20_000,
  maxFiles: 200_000,
  timeoutMs: 10 * 60_000,
} as const satisfies Required<FileListingRequest>;

/** What the walk produced: the files, and how complete the listing is. */
export interface FileInfoResult {
  readonly files: EntityOf<'datastoreFile'>[];
  readonly listing: FileListing;
}

/**
 * The file query types asked for, so the host types each file it recognizes (a search with no
 * query returns every file, but as plain FileInfo). FileQuery matches every other file.
 */
const QUERIES = [
  'FolderFileQuery',
  'VmDiskFileQuery',
  'VmConfigFileQuery',
  'VmLogFileQuery',
  'VmNvramFileQuery',
  'VmSnapshotFileQuery',
  'IsoImageFileQuery',
  'FloppyImageFileQuery',
  'TemplateConfigFileQuery',
  'FileQuery',
];

/** SearchDatastoreSubFolders_Task's arguments: every file under the datastore's root. */
export function searchSpecXml(datastoreName: string): string {
  return (
    textXml('datastorePath', `[${datastoreName}]`) +
    '<searchSpec>' +
    QUERIES.map((q) => `<query xsi:type="${q}"/>`).join('') +
    '<details><fileType>true</fileType><fileSize>true</fileSize>' +
    '<modification>true</modification><fileOwner>false</fileOwner></details>' +
    '<searchCaseInsensitive>false</searchCaseInsensitive>' +
    `<matchPattern>${xmlEscape('*')}</matchPattern>` +
    '<sortFoldersFirst>true</sortFoldersFirst>' +
    '</searchSpec>'
  );
}

/**
 * A file's place within its datastore: the folder's part after `[name]` and the file, joined by
 * one slash and without a leading one. ESXi writes folders as `[ds1] vm1/` (the root as `[ds1] `),
 * vcsim as `[ds1]/vm1`: both give `vm1/vm1.vmx`.
 */
export function relativePath(folderPath: string, file: string): string {
  const i = folderPath.indexOf(']');
  const folder = (i < 0 ? folderPath : folderPath.slice(i + 1)).trim().replace(/^\/+|\/+$/g, '');
  return folder === '' ? file : `${folder}/${file}`;
}

/** A time as the store keeps it (ISO 8601, milliseconds); null when unreadable. */
function isoTime(v: VimValue | undefined): string | null {
  const s = str(v);
  const t = s === null ? NaN : Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/**
 * Turns a HostDatastoreBrowserSearchResults list into file entities of datastore `ds`, at most
 * `cap` of them; `truncated` says the cap cut the listing.
 */
export function decodeSearchResults(
  ds: MoRef,
  datastoreName: string,
  results: VimValue | undefined,
  cap: number,
): { files: EntityOf<'datastoreFile'>[]; truncated: boolean; total: number } {
  const files: EntityOf<'datastoreFile'>[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const r of arr(results)) {
    const folder = str(path(r, 'folderPath'));
    if (folder === null) continue;
    for (const f of arr(path(r, 'file'))) {
      const name = str(path(f, 'path'));
      if (name === null) continue;
      const relative = relativePath(folder, name);
      const id = `${ds.value}:${relative}`;
      if (seen.has(id)) continue;
      seen.add(id);
      total++;
      if (files.length >= cap) continue;
      const type = obj(f)?._type ?? 'FileInfo';
      files.push({
        type: 'datastoreFile',
        id,
        name,
        fields: {
          datastoreId: ds.value,
          folderPath: folder.trimEnd(),
          path: `[${datastoreName}] ${relative}`,
          fileType: type,
          sizeBytes: num(path(f, 'fileSize')),
          modifiedAt: isoTime(path(f, 'modification')),
        },
      });
    }
  }
  return { files, truncated: total > files.length, total };
}

/** A datastore to browse: its moref, name, browser and whether it is reachable. */
interface Target {
  readonly ref: MoRef;
  readonly name: string;
  readonly browser: MoRef | null;
  readonly accessible: boolean | null;
}

async function targetsOf(
  client: VimClient,
  datastores: readonly MoRef[],
  signal: AbortSignal,
): Promise<Target[]> {
  if (datastores.length === 0) return [];
  const objs = await client.retrieveProps(datastores, ['name', 'browser', 'summary.accessible'], {
    signal,
  });
  return objs
    .map((o) => ({
      ref: o.obj,
      name: str(o.props.get('name')) ?? o.obj.value,
      browser: ref(o.props.get('browser')),
      accessible: bool(o.props.get('summary.accessible')),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Sleeps `ms`, or less when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs one search task to its end. The wait polls Task.info (backing off to 1 s: a search of a
 * large datastore takes minutes); on abort or timeout the server's task is cancelled, so a
 * cancelled sync leaves no search running on the host.
 */
async function runSearch(
  client: VimClient,
  browser: MoRef,
  datastoreName: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<VimValue | undefined> {
  const task = moRefOrThrow(
    await client.call('SearchDatastoreSubFolders_Task', browser, searchSpecXml(datastoreName), {
      signal,
    }),
    'SearchDatastoreSubFolders_Task task',
  );
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  try {
    for (;;) {
      if (signal.aborted) throw new AppError('CANCELLED', 'The sync was cancelled.');
      const [content] = await client.retrieveProps([task], ['info.state', 'info.error'], {
        signal,
      });
      const state = str(content?.props.get('info.state'));
      if (state === 'success') {
        const [done] = await client.retrieveProps([task], ['info.result'], { signal });
        return done?.props.get('info.result');
      }
      if (state === 'error') {
        const err = obj(content?.props.get('info.error'));
        const fault = obj(err?.['fault']);
        throw new AppError(
          'SOAP_FAULT',
          `Datastore search failed: ${str(err?.['localizedMessage']) ?? fault?._type ?? 'error'}`,
          { faultType: fault?._type ?? 'unknown' },
        );
      }
      if (Date.now() > deadline)
        throw new AppError(
          'TIMEOUT',
          `The file listing of ${datastoreName} did not finish in time.`,
        );
      await pause(delay, signal);
      delay = Math.min(1_000, delay * 2);
    }
  } catch (e) {
    // Best effort, own short timeout: the host should stop walking a datastore nobody reads.
    await client.call('CancelTask', task, '', { timeoutMs: 5_000 }).catch(() => undefined);
    throw e;
  }
}

/**
 * Lists the files of every datastore, one search task at a time (a host runs them one by one
 * anyway, and one at a time keeps the load an operator asked for predictable). Progress is
 * datastores done of the total. A datastore that is inaccessible, fails or times out is noted and
 * skipped; its stored files are kept (see FileListing).
 */
export async function listDatastoreFiles(
  client: VimClient,
  datastores: readonly MoRef[],
  limits: FileListingRequest,
  ctx: CollectContext,
): Promise<FileInfoResult> {
  const perDs = limits.maxFilesPerDatastore ?? DEFAULT_FILE_LIMITS.maxFilesPerDatastore;
  const maxFiles = limits.maxFiles ?? DEFAULT_FILE_LIMITS.maxFiles;
  const timeoutMs = limits.timeoutMs ?? DEFAULT_FILE_LIMITS.timeoutMs;
  const targets = await targetsOf(client, datastores, ctx.signal);
  const files: EntityOf<'datastoreFile'>[] = [];
  const complete: string[] = [];
  const notes: string[] = [];
  ctx.progress({ phase: 'files', done: 0, total: targets.length });
  let done = 0;
  for (const t of targets) {
    const left = maxFiles - files.length;
    if (left <= 0) {
      notes.push(`${t.name}: not listed, the total cap of ${maxFiles} files was reached`);
    } else if (t.accessible === false || t.browser === null) {
      notes.push(`${t.name}: not listed, the datastore is not accessible`);
    } else {
      try {
        const result = await runSearch(client, t.browser, t.name, timeoutMs, ctx.signal);
        const cap = Math.min(perDs, left);
        const got = decodeSearchResults(t.ref, t.name, result, cap);
        files.push(...got.files);
        if (got.truncated)
          notes.push(
            `${t.name}: ${got.files.length} of ${got.total} files listed (cap ${cap === perDs ? `of ${perDs} per datastore` : `of ${maxFiles} in all`})`,
          );
        else complete.push(t.ref.value);
      } catch (e) {
        if (ctx.signal.aborted || (e instanceof AppError && e.code === 'CANCELLED')) throw e;
        const why = e instanceof AppError ? e.message : String(e);
        notes.push(`${t.name}: not listed (${why})`);
        ctx.log.warn({ datastore: t.name, err: why }, 'datastore file listing failed');
      }
    }
    ctx.progress({ phase: 'files', done: ++done, total: targets.length });
  }
  for (const n of notes) ctx.log.warn({ note: n }, 'datastore file listing incomplete');
  return {
    files,
    listing: { completeDatastoreIds: complete, notes },
  };
}
