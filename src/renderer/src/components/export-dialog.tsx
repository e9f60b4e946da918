import { useEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import type { ExportFormat, ExportSaveRequest } from '../../../shared/export.js';
import { errorText, formatBytes } from '../format.js';
import { useEndpoints } from '../stores/endpoints.js';
import type { ExportRun, TableScope } from '../stores/export.js';
import { defaultExportName, extensionOf, useExport } from '../stores/export.js';
import { describeScope } from '../stores/scope.js';
import { exportSaver, showExportInFolder } from '../transport.js';
import { copyText } from './clipboard.js';
import { Dialog } from './dialog.js';

type Scope = 'all' | 'endpoint' | 'table' | 'selection';

const FORMAT_LABELS: Record<ExportFormat, string> = {
  xlsx: 'Excel workbook (RVTools layout)',
  csv: 'CSV (one file per entity type, zipped)',
  json: 'JSON snapshot (gzip)',
};

/** Only the VMs table's filters can travel with an export (the core filters VM sheets). */
function tableUsable(table: TableScope | null): table is TableScope {
  return table !== null && table.kind === 'vms';
}

/** How many things narrow the table: its filters, and the workspace scope as one. */
function narrowing(table: TableScope): number {
  return table.where.length + (table.scope ? 1 : 0);
}

function ProgressView({ run }: { run: ExportRun }): ReactElement {
  const p = run.progress;
  const total = p?.total;
  const phase = p ? p.phase : 'starting';
  const counts =
    p === null
      ? ''
      : total !== undefined
        ? `${p.done.toLocaleString()} of ${total.toLocaleString()}`
        : `${p.done.toLocaleString()} rows`;
  return (
    <div className="export-progress" aria-live="polite">
      {total !== undefined && total > 0 && p ? (
        <progress aria-label="Export progress" value={p.done} max={total} />
      ) : (
        <progress aria-label="Export progress" />
      )}
      <span data-testid="export-phase">
        Writing {phase}
        {counts ? ` — ${counts}` : ''}
      </span>
    </div>
  );
}

function ResultView({ run }: { run: ExportRun }): ReactElement | null {
  const [copied, setCopied] = useState<string | null>(null);
  // Desktop only: main shows the file it saw this export write.
  const show = showExportInFolder;
  // Serve only: the browser downloads the file the core wrote into its exports folder.
  const download = exportSaver.kind === 'download' ? exportSaver.download : null;
  // Reports how a button's action went in the status line beside the buttons.
  const report = (action: Promise<unknown>, done?: string): void =>
    void action.then(
      () => done && setCopied(done),
      (e: unknown) => setCopied(errorText(e)),
    );
  if (run.status === 'succeeded' && run.result) {
    const result = run.result;
    const file = result.file;
    return (
      <div className="export-result" role="status">
        <p>
          Export written ({formatBytes(run.result.bytes)},{' '}
          {(run.result.durationMs / 1000).toFixed(1)} s):
        </p>
        <code data-testid="export-file">{file}</code>
        <div className="export-result-actions">
          <button
            type="button"
            className="btn"
            onClick={() => report(copyText(file), 'Path copied')}
          >
            Copy path
          </button>
          {download && (
            <button
              type="button"
              className="btn primary"
              onClick={() => report(download(result), 'Download started')}
            >
              Download
            </button>
          )}
          {show && (
            <button type="button" className="btn" onClick={() => report(show(run.exportId))}>
              Show in folder
            </button>
          )}
          {copied && <span className="muted">{copied}</span>}
        </div>
      </div>
    );
  }
  if (run.status === 'cancelled')
    return <p role="status">Export cancelled. No file was written.</p>;
  if (run.status === 'failed')
    return (
      <div role="alert" className="error">
        {run.error ?? 'The export failed'}
      </div>
    );
  return null;
}

/**
 * Exports the inventory to XLSX, CSV or a JSON snapshot: everything, one endpoint, the VMs the
 * current table's filters keep, or the VMs selected in it ("Export selection"). Progress comes
 * live from `export:progress`; the export can be cancelled.
 */
export function ExportDialog(): ReactElement | null {
  const open = useExport((s) => s.open);
  if (!open) return null;
  return <ExportDialogBody />;
}

function ExportDialogBody(): ReactElement {
  const { table, selection, run, start, cancel, closeDialog } = useExport();
  const endpoints = useEndpoints((s) => s.endpoints);
  const [format, setFormat] = useState<ExportFormat>('xlsx');
  const [scope, setScope] = useState<Scope>(() =>
    selection !== null ? 'selection' : tableUsable(table) && narrowing(table) > 0 ? 'table' : 'all',
  );
  const [endpoint, setEndpoint] = useState('');
  const [anonymize, setAnonymize] = useState(false);
  const [fileName, setFileName] = useState('');
  const [nameEdited, setNameEdited] = useState(false);
  const running = run?.status === 'running';
  const actions = useRef<HTMLDivElement>(null);
  const status = run?.status;
  // Start disables itself, which drops focus out of the dialog (and Escape with it): put focus
  // on Cancel while running, on Close when done.
  useEffect(() => {
    if (status) actions.current?.querySelector<HTMLButtonElement>('button')?.focus();
  }, [status]);

  useEffect(() => {
    void useEndpoints.getState().refresh();
  }, []);

  useEffect(() => {
    if (!endpoint && endpoints[0]) setEndpoint(endpoints[0].name);
  }, [endpoints, endpoint]);

  const scopeName =
    scope === 'endpoint'
      ? endpoint || 'endpoint'
      : scope === 'table'
        ? 'vms-filtered'
        : scope === 'selection'
          ? 'vms-selected'
          : 'all';
  // The proposed name follows the choices until the user types one of their own.
  useEffect(() => {
    if (nameEdited) return;
    setFileName(defaultExportName(scopeName, extensionOf(format)));
  }, [scopeName, format, nameEdited]);

  const problem =
    fileName.trim() === ''
      ? 'Name the file'
      : scope === 'endpoint' && !endpoint
        ? 'Choose an endpoint'
        : scope === 'table' && !tableUsable(table)
          ? 'No table filters to export by'
          : scope === 'selection' && selection === null
            ? 'No rows selected'
            : null;

  const onStart = (): void => {
    // A fresh timestamp per run, so a second export does not overwrite the first.
    const name = nameEdited ? fileName.trim() : defaultExportName(scopeName, extensionOf(format));
    setFileName(name);
    const req: Omit<ExportSaveRequest, 'exportId'> = {
      format,
      fileName: name,
      anonymize,
      ...(scope === 'endpoint' ? { endpoint } : {}),
      ...(scope === 'table' && tableUsable(table)
        ? { where: [...table.where], ...(table.scope ? { scope: table.scope } : {}) }
        : {}),
      ...(scope === 'selection' && selection !== null
        ? { ids: selection.map((v) => ({ endpoint: v.endpoint, id: v.id })) }
        : {}),
    };
    void start(req);
  };

  return (
    <Dialog label="Export inventory" onClose={closeDialog} className="export-dialog">
      <h2>Export inventory</h2>
      <form
        className="export-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!problem && !running) onStart();
        }}
      >
        <fieldset disabled={running}>
          <legend>Format</legend>
          {(Object.keys(FORMAT_LABELS) as ExportFormat[]).map((f) => (
            <label key={f} className="radio">
              <input
                type="radio"
                name="export-format"
                value={f}
                checked={format === f}
                onChange={() => setFormat(f)}
              />
              {FORMAT_LABELS[f]}
            </label>
          ))}
        </fieldset>
        <fieldset disabled={running}>
          <legend>What to export</legend>
          <label className="radio">
            <input
              type="radio"
              name="export-scope"
              checked={scope === 'all'}
              onChange={() => setScope('all')}
            />
            Everything
          </label>
          <label className="radio">
            <input
              type="radio"
              name="export-scope"
              checked={scope === 'endpoint'}
              disabled={endpoints.length === 0}
              onChange={() => setScope('endpoint')}
            />
            One endpoint
          </label>
          {scope === 'endpoint' && (
            <select
              aria-label="Endpoint"
              value={endpoint}
              onChange={(e) => setEndpoint(e.target.value)}
            >
              {endpoints.map((ep) => (
                <option key={ep.id} value={ep.name}>
                  {ep.name}
                </option>
              ))}
            </select>
          )}
          <label className="radio">
            <input
              type="radio"
              name="export-scope"
              checked={scope === 'table'}
              disabled={!tableUsable(table) || narrowing(table) === 0}
              onChange={() => setScope('table')}
            />
            The VMs table&apos;s current filters
            {tableUsable(table)
              ? ` (${[
                  table.where.length > 0
                    ? `${table.where.length} filter${table.where.length === 1 ? '' : 's'}`
                    : '',
                  table.scope
                    ? `scope ${describeScope(table.scope.endpoint ?? null, table.scope.tag ?? null)}`
                    : '',
                ]
                  .filter(Boolean)
                  .join(', ')})`
              : ''}
          </label>
          {selection !== null && (
            <label className="radio">
              <input
                type="radio"
                name="export-scope"
                checked={scope === 'selection'}
                onChange={() => setScope('selection')}
              />
              The selected VMs ({selection.length.toLocaleString('en-US')})
            </label>
          )}
          {selection === null && (!tableUsable(table) || narrowing(table) === 0) && (
            <span className="hint">Filter the VMs table first to export only those VMs.</span>
          )}
          {scope === 'table' && tableUsable(table) && table.search !== '' && (
            <span className="hint">
              The search text is not part of an export; column and quick filters are.
            </span>
          )}
        </fieldset>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={anonymize}
            disabled={running}
            onChange={(e) => setAnonymize(e.target.checked)}
          />
          Anonymize names, IP addresses, DNS names and notes
        </label>
        <div className="field">
          <label htmlFor="export-name">File name</label>
          <input
            id="export-name"
            value={fileName}
            disabled={running}
            spellCheck={false}
            onChange={(e) => {
              setFileName(e.target.value);
              setNameEdited(true);
            }}
          />
          <span className="hint">
            {exportSaver.kind === 'dialog'
              ? 'You choose the folder in the save dialog.'
              : "Written to the exports folder of Infrascope's data folder; download it when done."}
          </span>
        </div>
        {run && run.status === 'running' && <ProgressView run={run} />}
        {run && <ResultView key={run.exportId} run={run} />}
        <div className="dialog-actions" ref={actions}>
          {running ? (
            <button type="button" className="btn danger" onClick={() => void cancel()}>
              Cancel export
            </button>
          ) : (
            <button type="button" className="btn" onClick={closeDialog}>
              Close
            </button>
          )}
          <button
            type="submit"
            className="btn primary"
            disabled={running || problem !== null}
            title={problem ?? undefined}
          >
            {running ? 'Exporting…' : exportSaver.kind === 'dialog' ? 'Save…' : 'Start export'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
