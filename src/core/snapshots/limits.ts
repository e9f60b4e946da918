import { AppError } from '../../shared/errors.js';

/*
 * What an import may cost. A file's compressed size says little about what it inflates to (a
 * 1 MB .json.gz can hold 1 GiB of text; a 1 KB workbook can name column 2^31), so the readers
 * count what they inflate and what they keep, and refuse past these limits with a typed error
 * that names the limit and how to raise it. The defaults let an RVTools workbook of 500,000 VMs
 * through; the structural limits are XLSX's own and cannot be raised.
 */

export interface ImportLimits {
  /** Inflated bytes of one zip part (a worksheet, the shared strings). */
  readonly partBytes: number;
  /** Inflated bytes of the whole file: the parts an import reads, or a .json.gz's text. */
  readonly fileBytes: number;
  /**
   * Largest inflated:compressed ratio once a part or file passed {@link RATIO_FLOOR} bytes
   * (0 turns the check off). Real workbooks and snapshots stay below ~50; bombs are near 1000.
   */
  readonly ratio: number;
  /** Characters of text held as shared strings. */
  readonly sharedStringBytes: number;
}

/** XLSX's own limits (XFD, the last column, and the last row). */
export const MAX_COLUMNS = 16_384;
export const MAX_ROWS = 1_048_576;
/** The longest stretch of XML without a `<` (a text or an attribute): beyond any real cell. */
export const MAX_XML_RUN = 1 << 20;
/** The deepest element nesting read: a worksheet needs about 6. */
export const MAX_XML_DEPTH = 256;
/** The ratio limit applies once this much has been inflated: small parts compress very well. */
export const RATIO_FLOOR = 16 * 2 ** 20;
/** The largest single value of a JSON snapshot held at once (a row, the header fields). */
export const MAX_JSON_VALUE = 16 * 2 ** 20;

const MIB = 2 ** 20;

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  partBytes: 8192 * MIB,
  fileBytes: 16_384 * MIB,
  ratio: 200,
  sharedStringBytes: 1024 * MIB,
};

/** The environment variable that raises each limit (MiB, the ratio as a number). */
export const IMPORT_LIMIT_ENV: Record<keyof ImportLimits, string> = {
  partBytes: 'INFRASCOPE_IMPORT_MAX_PART_MIB',
  fileBytes: 'INFRASCOPE_IMPORT_MAX_FILE_MIB',
  ratio: 'INFRASCOPE_IMPORT_MAX_RATIO',
  sharedStringBytes: 'INFRASCOPE_IMPORT_MAX_STRINGS_MIB',
};

const LABEL: Record<keyof ImportLimits, string> = {
  partBytes: 'inflated size of one part',
  fileBytes: 'inflated size of the file',
  ratio: 'compression ratio',
  sharedStringBytes: 'size of the shared strings',
};

/**
 * The limits in force: the defaults, each replaced by its environment variable when that holds a
 * non-negative number, then by `overrides`.
 */
export function importLimits(
  overrides: Partial<ImportLimits> = {},
  env: NodeJS.ProcessEnv = process.env,
): ImportLimits {
  const out: Record<keyof ImportLimits, number> = { ...DEFAULT_IMPORT_LIMITS };
  for (const key of Object.keys(IMPORT_LIMIT_ENV) as (keyof ImportLimits)[]) {
    const raw = env[IMPORT_LIMIT_ENV[key]];
    const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
    if (Number.isFinite(n) && n >= 0) out[key] = key === 'ratio' ? n : Math.round(n * MIB);
  }
  return { ...out, ...overrides };
}

const show = (key: keyof ImportLimits, n: number): string =>
  key === 'ratio' ? `${n}:1` : `${Math.round((n / MIB) * 10) / 10} MiB`;

/** `IMPORT_TOO_LARGE` for `what` past limit `key`, saying how to raise it. */
export function tooLarge(key: keyof ImportLimits, limits: ImportLimits, what: string): AppError {
  const limit = limits[key];
  return new AppError(
    'IMPORT_TOO_LARGE',
    `${what} passes the import limit on the ${LABEL[key]} (${show(key, limit)}). If the file is ` +
      `genuine, raise the limit with the environment variable ${IMPORT_LIMIT_ENV[key]}` +
      `${key === 'ratio' ? ' (0 turns it off)' : ' (in MiB)'} and import it again.`,
    { reason: 'too-large', limit: key, value: limit, env: IMPORT_LIMIT_ENV[key] },
  );
}

/** `IMPORT_INVALID` for a file past one of XLSX's (or our reader's) fixed structural limits. */
export function beyondFormat(what: string, details: Record<string, unknown>): AppError {
  return new AppError('IMPORT_INVALID', what, { reason: 'beyond-format', ...details });
}

/**
 * Counts inflated bytes against the per-file limit (and the ratio to `compressed()`), shared by
 * the parts of one import.
 */
export class InflateBudget {
  private inflated = 0;
  /** Compressed bytes behind what was inflated so far (callers add them as they read). */
  compressed = 0;
  constructor(
    readonly limits: ImportLimits,
    private readonly name: string,
  ) {}

  /** Adds `n` inflated bytes; throws once the file passes its limits. */
  add(n: number): void {
    this.inflated += n;
    if (this.inflated > this.limits.fileBytes) throw tooLarge('fileBytes', this.limits, this.name);
    checkRatio(this.limits, this.inflated, this.compressed, this.name);
  }
}

/** Throws when `inflated` (past the floor) is more than `ratio` times `compressed`. */
export function checkRatio(
  limits: ImportLimits,
  inflated: number,
  compressed: number,
  what: string,
): void {
  if (limits.ratio > 0 && inflated > RATIO_FLOOR && inflated > limits.ratio * compressed) {
    throw tooLarge('ratio', limits, what);
  }
}
