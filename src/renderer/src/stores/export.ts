import { create } from 'zustand';
import type {
  ExportFormat,
  ExportProgressEvent,
  ExportResult,
  ExportSaveRequest,
} from '../../../shared/export.js';
import { MAX_EXPORT_IDS } from '../../../shared/export.js';
import { isAppError } from '../../../shared/errors.js';
import type { Filter, QueryKind, Scope } from '../../../shared/query.js';
import { api, exportSaver } from '../transport.js';
import { errorText } from '../format.js';

/** What the inventory table on screen is showing, so an export can keep to the same rows. */
export interface TableScope {
  readonly kind: QueryKind;
  readonly title: string;
  readonly where: readonly Filter[];
  readonly search: string;
  /** The workspace scope the table shows. */
  readonly scope?: Scope | undefined;
}

/** A VM a table's selection names for an export: its endpoint's name and native id. */
export interface SelectedVm {
  readonly endpoint: string;
  readonly id: string;
}

export type ExportStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface ExportRun {
  readonly exportId: string;
  readonly status: ExportStatus;
  /** The latest `export:progress` of this export. */
  readonly progress: ExportProgressEvent | null;
  readonly result: ExportResult | null;
  readonly error: string | null;
}

interface ExportState {
  readonly open: boolean;
  readonly table: TableScope | null;
  readonly run: ExportRun | null;
  /** The VMs table's selected rows the dialog was opened for ("Export selection"), or null. */
  readonly selection: readonly SelectedVm[] | null;
  /** Opens the dialog; with `selection`, scoped to those VMs. */
  openDialog(opts?: { selection?: readonly SelectedVm[] }): void;
  closeDialog(): void;
  /** The table on screen publishes its scope here (null when it unmounts). */
  setTable(table: TableScope | null): void;
  /** Exports; the host decides where (desktop: main's save dialog; serve: its exports folder). */
  start(request: Omit<ExportSaveRequest, 'exportId'>): Promise<void>;
  cancel(): Promise<void>;
}

function newExportId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The export dialog's state: whether it is open, the table scope, and the export running. */
export const useExport = create<ExportState>((set, get) => ({
  open: false,
  table: null,
  run: null,
  selection: null,
  openDialog(opts = {}) {
    // A finished run is forgotten when the dialog opens again; a running one stays on screen.
    const run = get().run;
    const selection =
      opts.selection && opts.selection.length > 0 ? opts.selection.slice(0, MAX_EXPORT_IDS) : null;
    set({ open: true, run: run?.status === 'running' ? run : null, selection });
  },
  closeDialog() {
    set({ open: false });
  },
  setTable(table) {
    set({ table });
  },
  async start(request) {
    if (get().run?.status === 'running') return;
    const exportId = newExportId();
    set({ run: { exportId, status: 'running', progress: null, result: null, error: null } });
    const patch = (p: Partial<ExportRun>): void => {
      const run = get().run;
      if (run?.exportId === exportId) set({ run: { ...run, ...p } });
    };
    const off = api.on('export:progress', (event) => {
      // Terminal states come from the reply, which also carries the file or the error.
      if (event.exportId === exportId && event.state === 'running') patch({ progress: event });
    });
    try {
      const result = await exportSaver.save({ ...request, exportId });
      if (result === null) {
        // The user cancelled the save dialog: nothing was written, nothing to show.
        if (get().run?.exportId === exportId) set({ run: null });
      } else patch({ status: 'succeeded', result });
    } catch (e) {
      patch({
        status: isAppError(e) && e.code === 'CANCELLED' ? 'cancelled' : 'failed',
        error: errorText(e),
      });
    } finally {
      off();
    }
  },
  async cancel() {
    const run = get().run;
    if (run?.status !== 'running') return;
    await api.invoke('export:cancel', { exportId: run.exportId });
  },
}));

/** The file extension an export of this format writes (several CSVs go into one zip). */
export function extensionOf(format: ExportFormat, csvTypes = 2): string {
  if (format === 'csv') return csvTypes === 1 ? 'csv' : 'zip';
  return format === 'json' ? 'json.gz' : 'xlsx';
}

/**
 * The file name an export proposes, named for what is exported and when, e.g.
 * `infrascope-all-20261124-083000.xlsx`. A name only: the host decides the folder.
 */
export function defaultExportName(scopeName: string, ext: string, now: Date = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const stamp =
    `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-` +
    `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const safe = scopeName.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'export';
  return `infrascope-${safe}-${stamp}.${ext}`;
}

/**
 * The VMs named by a table's selected rows (`endpoint` and `id` columns), without duplicates and
 * at most `MAX_EXPORT_IDS` of them. Rows without both are skipped.
 */
export function selectedVms(rows: Iterable<Readonly<Record<string, unknown>>>): SelectedVm[] {
  const out: SelectedVm[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const endpoint = row['endpoint'];
    const id = row['id'];
    if (typeof endpoint !== 'string' || typeof id !== 'string' || !endpoint || !id) continue;
    const key = `${endpoint}\u0000${id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ endpoint, id });
    if (out.length >= MAX_EXPORT_IDS) break;
  }
  return out;
}
