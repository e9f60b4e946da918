import { useRef, useState } from 'react';
import type { ReactElement } from 'react';
import type { SnapshotInfo } from '../../../shared/export.js';
import { errorText } from '../snapshot-format.js';
import { snapshotImporter } from '../transport.js';

/*
 * "Import…": an RVTools workbook (.xlsx) or an exported JSON snapshot (.json.gz) becomes a
 * read-only snapshot. In the desktop the main process opens the OS dialog and reads the file;
 * in `serve` the chosen file's bytes are uploaded.
 */

export function SnapshotImport({
  onImported,
}: {
  onImported: (s: SnapshotInfo) => void;
}): ReactElement {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const run = async (what: string, work: () => Promise<SnapshotInfo | null>): Promise<void> => {
    setBusy(what);
    setError(null);
    try {
      const info = await work();
      if (info) onImported(info);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
      // The same file can be chosen again after a fix.
      if (input.current) input.current.value = '';
    }
  };

  const importer = snapshotImporter;
  return (
    <div className="snapshot-import">
      {importer.kind === 'dialog' ? (
        <button
          type="button"
          className="btn"
          disabled={busy !== null}
          onClick={() => void run('the chosen file', () => importer.pick())}
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
              if (file) void run(file.name, () => importer.upload(file));
            }}
          />
        </label>
      )}
      <span className="hint">RVTools workbook (.xlsx) or Infrascope JSON snapshot (.json.gz)</span>
      {busy !== null && (
        <span role="status" className="import-progress">
          <progress aria-label="Import progress" /> Importing {busy}…
        </span>
      )}
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
    </div>
  );
}
