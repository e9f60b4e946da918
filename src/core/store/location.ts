import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { AppError } from '../../shared/errors.js';

/*
 * Where a store lives: a SQLite file (the default, in the data directory) or a PostgreSQL URL
 * (`postgres://user:password@host:port/database?sslmode=verify-full`). The password in a URL is
 * a secret like an endpoint's: `redactLocation` is what logs, errors and the UI show.
 */

export type StoreEngine = 'sqlite' | 'postgres';

/** libpq's sslmode values this store honours (`allow` is `prefer`'s weaker twin, refused). */
export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

const SSL_MODES: readonly SslMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** True for `postgres://` and `postgresql://` locations. */
export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location.trim());
}

export function engineOfLocation(location: string): StoreEngine {
  return isPostgresLocation(location) ? 'postgres' : 'sqlite';
}

/**
 * The location as it may be shown: a URL's password (in the authority or as a `password`
 * parameter) becomes `***`. A file path is returned as is.
 */
export function redactLocation(location: string): string {
  if (!isPostgresLocation(location)) return location;
  try {
    const u = new URL(location);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    // Unparseable: show the scheme and nothing that could be a password.
    return location.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** What a pg Pool needs to reach the store, from its URL. */
export interface PostgresTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string;
  readonly sslmode: SslMode;
  /** pg's `ssl` option for the chosen mode; for `prefer`, the TLS attempt (plain text follows). */
  readonly ssl: false | ConnectionOptions;
  readonly connectTimeoutMs: number;
  /** The URL with its password hidden. */
  readonly redacted: string;
}

function readPem(path: string, what: string, redacted: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new AppError(
      'VALIDATION',
      `Cannot read the ${what} ${path} named in the store URL ${redacted}: ${(e as Error).message}`,
    );
  }
}

/**
 * Parses a PostgreSQL store URL with libpq's meaning of its parameters: `sslmode` (disable,
 * prefer — the default —, require, verify-ca, verify-full), `sslrootcert` (a CA file, or
 * `system` for the system's CAs), `sslcert`/`sslkey` (a client certificate), `connect_timeout`
 * (seconds), `host` (a unix socket directory). Bad URLs are VALIDATION errors naming the
 * redacted URL.
 */
export function parsePostgresLocation(location: string): PostgresTarget {
  const redacted = redactLocation(location);
  let u: URL;
  try {
    u = new URL(location.trim());
  } catch {
    throw new AppError('VALIDATION', `The store URL ${redacted} is not a valid URL.`);
  }
  const params = u.searchParams;
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || params.get('dbname');
  if (!database)
    throw new AppError(
      'VALIDATION',
      `The store URL ${redacted} names no database: postgres://user@host/DATABASE.`,
    );
  const host = params.get('host') ?? (decodeURIComponent(u.hostname) || 'localhost');
  const port = Number(params.get('port') ?? (u.port || 5432));
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new AppError('VALIDATION', `The store URL ${redacted} has an invalid port.`);
  const mode = (params.get('sslmode') ?? 'prefer').toLowerCase();
  if (!SSL_MODES.includes(mode as SslMode))
    throw new AppError(
      'VALIDATION',
      `The store URL ${redacted} has sslmode=${mode}; use one of ${SSL_MODES.join(', ')}.`,
    );
  const sslmode = mode as SslMode;
  const rootcert = params.get('sslrootcert');
  const tls: ConnectionOptions = {};
  if (rootcert && rootcert !== 'system') tls.ca = readPem(rootcert, 'CA certificate', redacted);
  const cert = params.get('sslcert');
  const key = params.get('sslkey');
  if (cert) tls.cert = readPem(cert, 'client certificate', redacted);
  if (key) tls.key = readPem(key, 'client key', redacted);
  let ssl: false | ConnectionOptions;
  switch (sslmode) {
    case 'disable':
      ssl = false;
      break;
    case 'prefer':
    case 'require':
      // Encrypted but unverified, as libpq — except that libpq verifies the chain when a root
      // certificate is given to `require`; so does this.
      ssl = { ...tls, rejectUnauthorized: sslmode === 'require' && rootcert !== null };
      if (ssl.rejectUnauthorized) ssl.checkServerIdentity = () => undefined;
      break;
    case 'verify-ca':
      // The chain must lead to a trusted CA; the name in the certificate is not checked.
      ssl = { ...tls, rejectUnauthorized: true, checkServerIdentity: () => undefined };
      break;
    case 'verify-full':
      // The default identity check compares the host with the certificate's names (SNI only
      // for names: Node refuses an IP address as servername).
      ssl = { ...tls, rejectUnauthorized: true, ...(isIP(host) ? {} : { servername: host }) };
      break;
  }
  const timeout = Number(params.get('connect_timeout') ?? 10);
  return {
    host,
    port,
    user: u.username ? decodeURIComponent(u.username) : (params.get('user') ?? undefined),
    password: u.password
      ? decodeURIComponent(u.password)
      : (params.get('password') ?? process.env['PGPASSWORD'] ?? undefined),
    database,
    sslmode,
    ssl,
    connectTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : 10_000,
    redacted,
  };
}
