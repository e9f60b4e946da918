/**
 * Independent readers for tests, run under Debian's Python (/usr/bin/python3, not a pyenv or
 * venv one): pyVmomi reads vcsim's managed objects, openpyxl reads our workbooks. Neither shares
 * code with Infrascope, so a test that compares the two checks our collector and our writer
 * against the simulator's own state. `.ci/run` installs python3-pyvmomi and python3-openpyxl.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Vcsim } from '../vcsim/launch.js';

const DIR = dirname(fileURLToPath(import.meta.url));
export const DEBIAN_PYTHON = '/usr/bin/python3';

function python(script: string, args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      DEBIAN_PYTHON,
      [join(DIR, script), ...args],
      { maxBuffer: 512 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${script} failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** A managed object as pyVmomi returns it: its moid and the requested paths that were set. */
export interface PyObject {
  readonly moid: string;
  readonly props: Readonly<Record<string, unknown>>;
}

/** One datastore's listing as pyVmomi's SearchDatastoreSubFolders_Task returns it. */
export interface PyDatastoreListing {
  readonly datastore: string;
  readonly name: string;
  readonly results: readonly {
    readonly folderPath: string;
    readonly files: readonly {
      readonly path: string;
      /** The file's data object type as on the wire: `VmDiskFileInfo`, `FolderFileInfo`… */
      readonly type: string;
      readonly fileSize: number | null;
      readonly modification: string | null;
    }[];
  }[];
}

export interface PyInventory {
  /** Objects by managed type (`VirtualMachine`, `HostSystem`, …). */
  readonly objects: Readonly<Record<string, readonly PyObject[]>>;
  /** `ServiceContent.about` (version, build, instanceUuid, apiVersion, …). */
  readonly about: Readonly<Record<string, unknown>>;
  /** `LicenseManager.licenses`, when asked for (`{ licenses: true }`). */
  readonly licenses?: readonly Readonly<Record<string, unknown>>[];
  /** Every datastore's files by SearchDatastoreSubFolders_Task, when asked for (`{ files: true }`). */
  readonly files?: readonly PyDatastoreListing[];
  /**
   * The descriptionIds of the server's recent datastore browser tasks (TaskManager.recentTask),
   * when asked for (`{ searches: true }`); read before `files` runs its own searches.
   */
  readonly searches?: readonly string[];
}

/**
 * Reads `paths` of every object of each managed type from the simulator with pyVmomi.
 *
 * @example
 * const py = await readWithPyvmomi(sim, { VirtualMachine: ['name', 'config.hardware.numCPU'] });
 */
export async function readWithPyvmomi(
  sim: Vcsim,
  specs: Readonly<Record<string, readonly string[]>>,
  opts: {
    readonly licenses?: boolean;
    readonly files?: boolean;
    readonly searches?: boolean;
  } = {},
): Promise<PyInventory> {
  const out = JSON.parse(
    await python(
      'pyvmomi_read.py',
      [],
      JSON.stringify({
        host: sim.host,
        port: sim.port,
        user: sim.username,
        pwd: sim.password,
        specs: Object.entries(specs).map(([type, paths]) => ({ type, paths })),
        licenses: opts.licenses === true,
        files: opts.files === true,
        searches: opts.searches === true,
      }),
    ),
  ) as Record<string, unknown>;
  const {
    _about: about,
    _licenses: licenses,
    _files: files,
    _searches: searches,
    ...objects
  } = out;
  return {
    objects: objects as Record<string, PyObject[]>,
    about: about as Record<string, unknown>,
    ...(licenses === undefined ? {} : { licenses: licenses as Record<string, unknown>[] }),
    ...(files === undefined ? {} : { files: files as PyDatastoreListing[] }),
    ...(searches === undefined ? {} : { searches: searches as string[] }),
  };
}

/** A data object as pyVmomi returns it: its set members (and `_type`). */
export type PyDict = Record<string, unknown>;

/** The value of property path `p` of a managed object (undefined when the server left it unset). */
export const prop = (o: PyObject, p: string): unknown => o.props[p];

/** The member at dotted path `p` within a pyVmomi value (undefined where any step is missing). */
export const at = (x: unknown, p: string): unknown =>
  p
    .split('.')
    .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as PyDict)[k] : undefined), x);

/** A pyVmomi array as a list (pyVmomi leaves an empty array out: unset reads as empty). */
export const list = (x: unknown): PyDict[] => (Array.isArray(x) ? (x as PyDict[]) : []);

/** The objects of managed type `type` that pyVmomi read (none when it read none). */
export const objectsOf = (py: PyInventory, type: string): readonly PyObject[] =>
  py.objects[type] ?? [];

/** One cell as openpyxl types it: number, text, boolean, date (ISO text) or empty. */
export type PyCell =
  | { readonly t: 'n'; readonly v: number }
  | { readonly t: 's'; readonly v: string }
  | { readonly t: 'b'; readonly v: boolean }
  | { readonly t: 'd'; readonly v: string }
  | { readonly t: 'e'; readonly v: null };

/**
 * A cell's value as openpyxl typed it (numbers as numbers, dates as ISO text). A boolean reads as
 * a boolean whether the workbook holds it as one or as RVTools' text `True` / `False`.
 */
export function cellValue(c: PyCell | undefined): unknown {
  const x = c?.v ?? null;
  return x === 'True' ? true : x === 'False' ? false : x;
}

export interface PySheet {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly PyCell[])[];
}

export interface PyWorkbook {
  readonly sheets: readonly string[];
  sheet(name: string): PySheet | undefined;
  /** The rows of `name` as objects keyed by header (the first column of that name wins). */
  records(name: string): Record<string, PyCell>[];
}

/** Reads an XLSX file with openpyxl (all sheets, or only `sheets`). */
export async function readWithOpenpyxl(
  file: string,
  sheets: readonly string[] = [],
): Promise<PyWorkbook> {
  const out = JSON.parse(await python('openpyxl_read.py', [file, ...sheets])) as {
    sheets: string[];
  } & Record<string, PySheet>;
  const sheet = (name: string): PySheet | undefined => (name === 'sheets' ? undefined : out[name]);
  return {
    sheets: out.sheets,
    sheet,
    records: (name) => {
      const s = sheet(name);
      if (!s) return [];
      return s.rows.map((r) => {
        const rec: Record<string, PyCell> = {};
        s.headers.forEach((h, i) => {
          if (!(h in rec)) rec[h] = r[i] ?? { t: 'e', v: null };
        });
        return rec;
      });
    },
  };
}
