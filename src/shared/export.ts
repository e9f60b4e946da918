import { z } from 'zod';
import type { EntityType, FieldValue } from './entities.js';
import { ENTITY_TYPES } from './entities.js';
import { filterSchema, scopeSchema } from './query.js';
import { request, returns } from './channel.js';

/*
 * The export and snapshot slice of the contract: XLSX shaped like RVTools, CSV per entity type,
 * a gzip JSON snapshot; saved snapshots of the inventory and diffs between them.
 */

export const EXPORT_FORMATS = ['xlsx', 'csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A snapshot reference: its id, its label, or `now` (the live inventory). */
export const snapshotRefSchema = z.union([
  z.number().int().positive(),
  z.string().trim().min(1).max(200),
]);
export type SnapshotRef = z.infer<typeof snapshotRefSchema>;

/** Most VMs an export by selection names (a table's select-all fetches as many). */
export const MAX_EXPORT_IDS = 10_000;

/** What to export and how: everything an export request holds except where the file goes. */
export const exportSelectionSchema = z.object({
  format: z.enum(EXPORT_FORMATS),
  /** Chosen by the client so it can cancel before the reply arrives. */
  exportId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  /** Only this endpoint (by name). */
  endpoint: z.string().min(1).max(100).optional(),
  /** Filters on VM fields (as `inventory:query` kind `vms`): VM sheets keep the matching VMs. */
  where: z.array(filterSchema).max(50).default([]),
  /**
   * The workspace scope, as for inventory queries: its endpoint narrows every sheet (as
   * `endpoint`), its tag keeps the VMs that carry it or whose endpoint is labelled with it.
   */
  scope: scopeSchema.optional(),
  /**
   * Only these VMs (a table's selected rows: endpoint name and native id), with their disks, NICs
   * and snapshots; other entity types are exported whole. Combines with `where` and `endpoint`.
   */
  ids: z
    .array(
      z.object({ endpoint: z.string().min(1).max(100), id: z.string().min(1).max(1000) }).strict(),
    )
    .min(1)
    .max(MAX_EXPORT_IDS)
    .optional(),
  /** Stable pseudonyms for names, IPs, DNS names and annotations. */
  anonymize: z.boolean().default(false),
  /** CSV: a UTF-8 byte order mark so Excel reads non-ASCII right. */
  bom: z.boolean().default(false),
  /** CSV: only these entity types (one type writes a plain .csv, several a .zip). */
  types: z.array(z.enum(ENTITY_TYPES)).max(ENTITY_TYPES.length).optional(),
  /** Export a saved snapshot instead of the live inventory. */
  snapshot: snapshotRefSchema.optional(),
});
export type ExportSelection = z.input<typeof exportSelectionSchema>;

/**
 * An export to a path on this machine: only in-process callers name one (the CLI's `--out`,
 * main after its own save dialog). A page never does.
 */
export const exportRequestSchema = exportSelectionSchema.extend({
  /** The file to write (absolute, or relative to the core's working directory). */
  out: z.string().min(1).max(4096),
});
export type ExportRequest = z.input<typeof exportRequestSchema>;
export type ExportRequestParsed = z.output<typeof exportRequestSchema>;

/**
 * A file name a page may propose: a plain name, no folder (`/`, `\\`), no `..`, no control or
 * reserved characters. The host decides the folder.
 */
export const exportFileNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^/\\:*?"<>|]+$/, 'a file name, without a folder')
  .refine(
    (n) => !/^\.+$/.test(n) && ![...n].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f'),
    'a file name, without a folder or control characters',
  );

/** An export the serve page asks for: written into the exports folder, offered for download. */
export const exportSaveSchema = exportSelectionSchema.extend({
  /** A proposed name; the core picks one when left out and never overwrites a file. */
  fileName: exportFileNameSchema.optional(),
});
export type ExportSaveRequest = z.input<typeof exportSaveSchema>;

/**
 * Where the serve page downloads a file `export:save` wrote: POST with our own Origin, the run's
 * token in `X-Infrascope-Token` and the export's id in `X-Infrascope-Export-Id`. Only files
 * exports of this run saved can be fetched.
 */
export const EXPORT_DOWNLOAD_PATH = '/api/exports/download';

/** The folder of the data directory `export:save` writes into. */
export const EXPORTS_FOLDER = 'exports';

export interface ExportResult {
  readonly exportId: string;
  readonly format: ExportFormat;
  readonly file: string;
  readonly bytes: number;
  /** Rows written per sheet (XLSX), per entity type (CSV, JSON). */
  readonly rows: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

export interface ExportProgressEvent {
  readonly exportId: string;
  readonly state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** Sheet or entity type being written, or 'done'. */
  readonly phase: string;
  readonly done: number;
  readonly total?: number;
}

export const SNAPSHOT_SOURCES = ['local', 'import'] as const;
export type SnapshotSource = (typeof SNAPSHOT_SOURCES)[number];

export interface SnapshotInfo {
  readonly id: number;
  readonly label: string | null;
  readonly createdAt: string;
  readonly source: SnapshotSource;
  /** How it came to be: manual, before-sync, after-sync, json, rvtools. */
  readonly origin: string;
  /** Endpoint names it holds. */
  readonly endpoints: readonly string[];
  readonly counts: Readonly<Partial<Record<EntityType, number>>>;
  /** Imported snapshots are read-only: browse, diff and export them, never merge them. */
  readonly readOnly: boolean;
}

/** The entity types a diff compares unless asked otherwise. */
export const DIFF_TYPES = [
  'vm',
  'host',
  'datastore',
  'network',
] as const satisfies readonly EntityType[];

export const snapshotSaveSchema = z.object({
  label: z.string().trim().min(1).max(200).optional(),
});

/**
 * Where `serve` takes a file to import as a snapshot: POST of the raw bytes with the run's token
 * in `X-Infrascope-Token`, the file's name (URI-encoded) in `X-Infrascope-Filename` and, to
 * follow and cancel it, an import id of the client's choosing in `X-Infrascope-Import-Id`. The
 * reply is a `Reply` of `snapshots:import`.
 */
export const SNAPSHOT_UPLOAD_PATH = '/api/snapshots/import';

/** An import id a client chooses to follow (`snapshots:importProgress`) and cancel an import. */
export const IMPORT_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const importIdSchema = z.string().regex(IMPORT_ID);

export const snapshotImportSchema = z.object({
  file: z.string().min(1).max(4096),
  /** Guessed from the file name when left out: .xlsx is RVTools, anything else JSON. */
  format: z.enum(['json', 'rvtools']).optional(),
  label: z.string().trim().min(1).max(200).optional(),
  importId: importIdSchema.optional(),
});

/**
 * A step of a long import, with real counts: `upload` (bytes received), `read vInfo` and the
 * other sheets (rows read so far; no total, a stream does not know it), `save` (entities written
 * of the known total).
 */
export interface ImportProgress {
  readonly phase: string;
  readonly done: number;
  readonly total?: number;
}

export interface SnapshotImportProgressEvent extends ImportProgress {
  readonly importId: string;
  readonly state: 'running' | 'succeeded' | 'failed' | 'cancelled';
}

/** The entity types a snapshot's rows can be browsed by (as a diff compares them). */
export const BROWSE_TYPES = DIFF_TYPES;
export type BrowseType = (typeof BROWSE_TYPES)[number];

/** Most rows one `snapshots:rows` page returns. */
export const MAX_SNAPSHOT_PAGE = 500;

export const snapshotRowsSchema = z.object({
  id: z.number().int().positive(),
  type: z.enum(BROWSE_TYPES),
  /** Case-insensitive text matched against the name, the endpoint and every stored value. */
  search: z.string().max(200).default(''),
  /** `name`, `endpoint`, or one of the snapshot's fields of this type. */
  sort: z.string().min(1).max(100).default('name'),
  dir: z.enum(['asc', 'desc']).default('asc'),
  offset: z.number().int().min(0).max(10_000_000).default(0),
  limit: z.number().int().min(1).max(MAX_SNAPSHOT_PAGE).default(100),
});
export type SnapshotRowsRequest = z.input<typeof snapshotRowsSchema>;

/** One page of a saved snapshot's entities of one type, read-only. */
export interface SnapshotRows {
  readonly id: number;
  readonly type: BrowseType;
  /** `name`, `endpoint`, then the fields the snapshot holds for this type, in its order. */
  readonly columns: readonly string[];
  /** Rows matching the search (all pages). */
  readonly total: number;
  readonly offset: number;
  /**
   * Values by column. References (hostId...) carry the referred entity's name where the snapshot
   * holds it, in `refs`.
   */
  readonly rows: readonly {
    readonly key: string;
    readonly values: Readonly<Record<string, FieldValue>>;
    readonly refs: Readonly<Record<string, string>>;
  }[];
}

export const snapshotDiffSchema = z.object({
  from: snapshotRefSchema,
  to: snapshotRefSchema.default('now'),
  types: z.array(z.enum(ENTITY_TYPES)).min(1).max(ENTITY_TYPES.length).optional(),
  /** Cap on entries returned (the summary always counts everything). */
  limit: z.number().int().min(0).max(1_000_000).default(100_000),
});
export type SnapshotDiffRequest = z.input<typeof snapshotDiffSchema>;

export interface DiffField {
  readonly field: string;
  readonly old: FieldValue;
  readonly new: FieldValue;
  /** For references (hostId...), the names of the entities referred to. */
  readonly oldName?: string | null;
  readonly newName?: string | null;
}

export interface DiffEntry {
  readonly type: EntityType;
  readonly endpoint: string;
  readonly id: string;
  readonly name: string;
  readonly change: 'added' | 'removed' | 'changed';
  /** Changed fields (name included) for `changed`. */
  readonly fields?: readonly DiffField[];
}

export interface DiffSide {
  readonly id: number | null;
  readonly label: string | null;
  readonly createdAt: string;
}

export interface SnapshotDiff {
  readonly from: DiffSide;
  readonly to: DiffSide;
  readonly types: readonly EntityType[];
  readonly summary: Readonly<
    Partial<Record<EntityType, { added: number; removed: number; changed: number }>>
  >;
  readonly entries: readonly DiffEntry[];
  /** True when `limit` cut the entries short. */
  readonly truncated: boolean;
}

const snapshotId = z.object({ id: z.number().int().positive() }).strict();

/** The export and snapshot slice of the contract. */
export const exportChannels = {
  /** Writes the path it is given: in-process callers only (the CLI, main after its dialog). */
  'export:run': request(exportRequestSchema.strict(), returns<ExportResult>(), { hosts: ['cli'] }),
  /**
   * Writes into the exports folder of the data directory (the page proposes a name, never a
   * path); the serve page then downloads it from EXPORT_DOWNLOAD_PATH. The desktop page saves
   * through main's own save dialog instead (DesktopBridge.saveExport).
   */
  'export:save': request(exportSaveSchema.strict(), returns<ExportResult>(), { hosts: ['serve'] }),
  'export:cancel': request(
    z.object({ exportId: z.string().min(1).max(64) }).strict(),
    returns<{ cancelled: boolean }>(),
  ),
  'snapshots:list': request(z.object({}).strict(), returns<readonly SnapshotInfo[]>()),
  'snapshots:save': request(snapshotSaveSchema.strict(), returns<SnapshotInfo>()),
  'snapshots:delete': request(snapshotId, returns<{ deleted: true }>()),
  'snapshots:diff': request(snapshotDiffSchema.strict(), returns<SnapshotDiff>()),
  /**
   * Reads a file at a path on this machine: only in-process callers may name one. The desktop
   * page imports through main's own open dialog, the serve page by upload (SNAPSHOT_UPLOAD_PATH).
   */
  'snapshots:import': request(snapshotImportSchema.strict(), returns<SnapshotInfo>(), {
    hosts: ['cli'],
  }),
  'snapshots:cancelImport': request(
    z.object({ importId: importIdSchema }).strict(),
    returns<{ cancelled: boolean }>(),
  ),
  'snapshots:rows': request(snapshotRowsSchema.strict(), returns<SnapshotRows>()),
};
