import { useEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import { isAppError } from '../../../shared/errors.js';
import type { ImportProgress, SnapshotInfo } from '../../../shared/export.js';
import { errorText } from '../format.js';
import { useOverlays } from '../stores/overlays.js';
import { api, snapshotImporter } from '../transport.js';

/*
 * "Import…": an RVTools workbook (.xlsx) or an exported JSON snapshot (.json.gz) becomes a
 * read-only snapshot. In the desktop the main process opens the OS dialog and reads the file;
 * in `serve` the chosen file's bytes are uploaded. Either way the run has an id chosen here, so
 * its `snapshots:importProgress` events show the phase and real counts, and Cancel stops it.
 */

function newImportId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return `ui-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const count = (n: number): string => n.toLocaleString('en-US');
const mib = (n: number): string => (n / 2 ** 20).toFixed(1);

/** "Reading vInfo: 12,000 rows", "Saving: 500 of 100,291", "Uploading: 3.2 of 41.5 MiB". */
export function progressText(p: ImportProgress): string {
  if (p.phase === 'upload') {
    return p.total !== undefined
      ? `Uploading: ${mib(p.done)} of ${mib(p.total)} MiB`
      : `Uploading: ${mib(p.done)} MiB`;
  }
  if (p.phase === 'save') {
    return `Saving: ${count(p.done)}${p.total !== undefined ? ` of ${count(p.total)}` : ''} entities`;
  }
  if (p.phase.startsWith('read ')) return `Reading ${p.phase.slice(5)}: ${count(p.done)} rows`;
  if (p.phase === 'read') return 'Reading the snapshot';
  return 'Starting';
}

export function SnapshotImport({
  onImported,
}: {
  onImported: (s: SnapshotInfo) => void;
}): ReactElement {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [importId, setImportId] = useState<string | null>(null);
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (importId === null) return;
    return api.on('snapshots:importProgress', (p) => {
      if (p.importId === importId && p.state === 'running') setProgress(p);
    });
  }, [importId]);

  const run = async (
    what: string,
    work: (id: string) => Promise<SnapshotInfo | null>,
  ): Promise<void> => {
    const id = newImportId();
    setBusy(what);
    setError(null);
    setNotice(null);
    setProgress(null);
    setImportId(id);
    try {
      const info = await work(id);
      if (info) onImported(info);
    } catch (e) {
      if (isAppError(e) && e.code === 'CANCELLED')
        setNotice('Import cancelled; nothing was saved.');
      else setError(errorText(e));
    } finally {
      setBusy(null);
      setImportId(null);
      setProgress(null);
      // The same file can be chosen again after a fix.
      if (input.current) input.current.value = '';
    }
  };

  const importer = snapshotImporter;
  // File → Import snapshot… in the desktop menu: the same dialog as the button.
  const requested = useOverlays((s) => s.importRequested);
  useEffect(() => {
    if (!requested || importer.kind !== 'dialog' || busy !== null) return;
    useOverlays.getState().requestImport(false);
    void run('the chosen file', (id) => importer.pick(id));
  });
  return (
    <div className="snapshot-import">
      {importer.kind === 'dialog' ? (
        <button
          type="button"
          className="btn"
          disabled={busy !== null}
          onClick={() => void run('the chosen file', (id) => importer.pick(id))}
        >
          Import…
        </button>
      ) : (
        <label className={`btn${busy !== null ? ' disabled' : ''}`}>
          Import…
          <input
            ref={input}
            type="file"
            className="visually-hidden"
            aria-label="Import a snapshot file (RVTools .xlsx or .json.gz)"
            accept=".xlsx,.gz"
            disabled={busy !== null}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void run(file.name, (id) => importer.upload(file, id));
            }}
          />
        </label>
      )}
      <span className="hint">RVTools workbook (.xlsx) or Infrascope JSON snapshot (.json.gz)</span>
      {busy !== null && (
        <span role="status" className="import-progress">
          <progress
            aria-label="Import progress"
            {...(progress?.total ? { max: progress.total, value: progress.done } : {})}
          />{' '}
          Importing {busy}…{' '}
          {progress && <span className="import-phase">{progressText(progress)}</span>}
          {importId !== null && (
            <button
              type="button"
              className="btn"
              aria-label={`Cancel the import of ${busy}`}
              onClick={() => {
                void api
                  .invoke('snapshots:cancelImport', { importId })
                  .catch((e: unknown) => setError(errorText(e)));
              }}
            >
              Cancel
            </button>
          )}
        </span>
      )}
      {notice && (
        <div role="status" className="hint">
          {notice}
        </div>
      )}
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
    </div>
  );
}
