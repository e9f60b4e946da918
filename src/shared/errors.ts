/**
 * Typed errors with stable codes. They cross every boundary (IPC, the serve bridge, the CLI) as
 * `{ code, message, details }` and are rebuilt on the other side, so the UI can act on the code.
 */
export const ERROR_CODES = [
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'UNKNOWN_CHANNEL',
  'FORBIDDEN',
  'INTERNAL',
  'CANCELLED',
  'TIMEOUT',
  'DB_NEWER_THAN_APP',
  'MIGRATION_FAILED',
  'STORE_WRITE_FAILED',
  'STORE_CORRUPT',
  'STORE_READ_ONLY',
  'DISK_FULL',
  'UNKNOWN_KIND',
  'UNKNOWN_FIELD',
  'VAULT_UNAVAILABLE',
  'VAULT_LOCKED',
  'CREDENTIALS_REQUIRED',
  'DNS_FAILED',
  'CONNECTION_REFUSED',
  'HOST_UNREACHABLE',
  'TLS_UNTRUSTED',
  'TLS_PIN_MISMATCH',
  'TLS_FAILED',
  'NOT_VSPHERE',
  'WRONG_ENDPOINT_KIND',
  'INVALID_LOGIN',
  'NOT_AUTHENTICATED',
  'NO_PERMISSION',
  'INVALID_PROPERTY',
  'SOAP_FAULT',
  'HTTP_ERROR',
  'PROTOCOL_ERROR',
  'CONNECTION_LOST',
  'POWERSHELL_UNAVAILABLE',
  'HYPERV_MODULE_MISSING',
  'ACCESS_DENIED',
  'WINRM_UNREACHABLE',
  'KERBEROS_DOUBLE_HOP',
  'NOT_HYPERV',
  'SYNC_IN_PROGRESS',
  'EXPORT_FAILED',
  /** A file offered for import is not an RVTools workbook or JSON snapshot (or is too large). */
  'IMPORT_INVALID',
  /** A file offered for import passes an import limit (inflated bytes, shared strings...). */
  'IMPORT_TOO_LARGE',
  /** A PostgreSQL store's server cannot be reached (DNS, refused, unreachable, timed out). */
  'STORE_UNREACHABLE',
  /** A team store that was open lost its connection; the core probes it with backoff. */
  'STORE_UNAVAILABLE',
  /** A PostgreSQL store refused the user or password (or pg_hba.conf has no entry for us). */
  'STORE_AUTH_FAILED',
  /** A PostgreSQL store's database does not exist on the server. */
  'STORE_DATABASE_MISSING',
  /** TLS to a PostgreSQL store failed: not offered by the server, or its certificate not trusted. */
  'STORE_TLS_FAILED',
  /** What was asked needs the other store engine (a SQLite-only operation on PostgreSQL). */
  'STORE_ENGINE_UNSUPPORTED',
  /** A team store's secrets need its key (INFRASCOPE_STORE_KEY, --store-key-file); none is set. */
  'STORE_KEY_MISSING',
  /** The team store key given is not the one the store's secrets were sealed with. */
  'STORE_KEY_MISMATCH',
  /** The team store key given is unusable (not 32 bytes in base64 or hex, or a readable file). */
  'STORE_KEY_INVALID',
  /** `store copy` refused a target that already holds data (`--force` replaces it). */
  'STORE_NOT_EMPTY',
  /** The app writes no backups of a PostgreSQL store: its server's operator does (pg_dump). */
  'BACKUP_BY_SERVER',
  /** Sign-in refused: unknown account, wrong password or disabled account (never says which). */
  'AUTH_FAILED',
  /** Sign-in refused because the account (or the source address) is locked after failures. */
  'AUTH_LOCKED',
  /** No valid session or API token on a team server's request. */
  'AUTH_REQUIRED',
  /** `serve --listen` beyond loopback without TLS. */
  'TLS_REQUIRED',
  /** Accounts and API tokens asked of a local store (desktop, loopback serve): only a team server has them. */
  'TEAM_SERVER_ONLY',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface SerializedError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error class of the product. `code` is stable; `message` is for people. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  toJSON(): SerializedError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Turns anything thrown into a serializable error without leaking stack traces or internals. */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof AppError) return e.toJSON();
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const code = (e as { code: unknown }).code;
    if (typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code)) {
      return { code: code as ErrorCode, message: String((e as { message: unknown }).message) };
    }
  }
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

export function deserializeError(e: SerializedError): AppError {
  return new AppError(e.code, e.message, e.details ? { ...e.details } : undefined);
}
