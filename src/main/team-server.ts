import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpExchange, inspectTls } from '../core/doctor/probes.js';
import { certificateFacts, normalizeThumbprint } from '../core/net/tls-trust.js';
import { AppError } from '../shared/errors.js';
import { AUTH_SESSION_PATH, SESSION_COOKIE, isRole } from '../shared/roles.js';
import type { SessionAccount } from '../shared/roles.js';
import type { TeamServerConnection, TeamServerProbe } from '../shared/team-client.js';

/*
 * Settings → "Connect to a team server": which server the desktop app shows, and the checks
 * before it does. The setting holds the server's origin and the certificate's pinned SHA-256
 * (nothing secret: the sign-in is the server's own cookie, kept in the window's session), written
 * like the store setting (store-setting.ts): a temporary file renamed into place, mode 0600.
 */

export const TEAM_SERVER_SETTING_FILE = 'team-server.json';

/** How long a probe of a team server may take, handshake and HTTP alike. */
const PROBE_TIMEOUT_MS = 10_000;
/** A URL typed in Settings is short; anything longer is not one. */
const MAX_URL = 2048;

interface SettingFile {
  readonly version: 1;
  readonly origin: string;
  readonly fingerprint256: string;
}

function settingPath(dataDir: string): string {
  return join(dataDir, TEAM_SERVER_SETTING_FILE);
}

/**
 * A team server's address as typed (`https://host:port/…` or `host:port`) → its origin. Only
 * https: the session cookie and the inventory never travel in clear.
 */
export function teamServerOrigin(text: unknown): string {
  if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_URL)
    throw new AppError('VALIDATION', 'Give the team server as https://host:port');
  const raw = text.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch {
    throw new AppError('VALIDATION', `${raw.slice(0, 200)} is not a URL (https://host:port)`);
  }
  if (url.protocol !== 'https:')
    throw new AppError(
      'VALIDATION',
      'A team server is reached over https only (serve --listen needs TLS for others to reach it)',
    );
  if (url.username || url.password)
    throw new AppError('VALIDATION', 'Leave the account out of the URL: sign in on its page');
  return url.origin;
}

/** The saved team server, or null (the local store); a file that cannot be used says so. */
export function readTeamServerSetting(dataDir: string): TeamServerConnection | null {
  const file = settingPath(dataDir);
  if (!existsSync(file)) return null;
  const unusable = (why: string): AppError =>
    new AppError(
      'VALIDATION',
      `The team server setting ${file} cannot be used (${why}). Delete it to use the local store, then connect again in Settings.`,
    );
  let parsed: Partial<SettingFile>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SettingFile>;
  } catch {
    throw unusable('not JSON');
  }
  if (
    parsed.version !== 1 ||
    typeof parsed.origin !== 'string' ||
    typeof parsed.fingerprint256 !== 'string'
  )
    throw unusable('not a team server setting');
  let connection: TeamServerConnection;
  try {
    connection = {
      origin: teamServerOrigin(parsed.origin),
      fingerprint256: normalizeThumbprint(parsed.fingerprint256),
    };
  } catch {
    throw unusable('not an https origin and a SHA-256 fingerprint');
  }
  if (connection.origin !== parsed.origin) throw unusable('not an https origin');
  return connection;
}

/**
 * Saves the team server the app shows (null: back to the local store). Written to a temporary
 * file and renamed, so a crash leaves the old setting; the local store is never touched.
 */
export function writeTeamServerSetting(
  dataDir: string,
  connection: TeamServerConnection | null,
): void {
  const file = settingPath(dataDir);
  if (connection === null) {
    rmSync(file, { force: true });
    return;
  }
  const body: SettingFile = {
    version: 1,
    origin: teamServerOrigin(connection.origin),
    fingerprint256: normalizeThumbprint(connection.fingerprint256),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(body, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
}

function hostAndPort(origin: string): { host: string; port: number } {
  const url = new URL(origin);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443) };
}

/** Asks the server who `cookie` signs in (null: nobody), over a connection held to the pin. */
async function askSession(
  connection: TeamServerConnection,
  cookie: string | null,
  signal?: AbortSignal,
): Promise<{ status: number; account: SessionAccount | null; json: boolean }> {
  const reply = await httpExchange({
    url: `${connection.origin}${AUTH_SESSION_PATH}`,
    method: 'GET',
    thumbprint: connection.fingerprint256,
    timeoutMs: PROBE_TIMEOUT_MS,
    signal,
    maxBytes: 16_384,
    headers: {
      accept: 'application/json',
      ...(cookie ? { cookie: `${SESSION_COOKIE}=${cookie}` } : {}),
    },
  });
  const json = String(reply.headers['content-type'] ?? '').includes('application/json');
  let account: SessionAccount | null = null;
  if (json && reply.status === 200) {
    try {
      const body = JSON.parse(reply.body) as { account?: { name?: unknown; role?: unknown } };
      const a = body.account;
      if (a && typeof a.name === 'string' && isRole(a.role))
        account = { name: a.name, role: a.role };
    } catch {
      // Not the answer of a team server: `json` stays, `account` null.
    }
  }
  return { status: reply.status, account, json };
}

/**
 * Looks at a team server before anything is trusted: its certificate (the facts the Settings page
 * shows for trust on first use) and, over a connection held to that very certificate, whether
 * it answers `GET /auth/session` as an Infrascope team server does. Changes nothing.
 */
export async function probeTeamServer(
  url: unknown,
  opts: { signal?: AbortSignal } = {},
): Promise<TeamServerProbe> {
  const origin = teamServerOrigin(url);
  const { host, port } = hostAndPort(origin);
  const seen = await inspectTls(host, port, host, {
    timeoutMs: PROBE_TIMEOUT_MS,
    signal: opts.signal,
  });
  const facts = certificateFacts(seen.cert);
  const session = await askSession(
    { origin, fingerprint256: facts.fingerprint256 },
    null,
    opts.signal,
  );
  if (session.status === 421)
    throw new AppError(
      'PROTOCOL_ERROR',
      `${origin} does not answer to the name ${host}: connect with a name it serves, or start it with --server-name ${host}`,
      { origin, status: 421 },
    );
  if (!session.json || (session.status !== 401 && session.status !== 200))
    throw new AppError(
      'PROTOCOL_ERROR',
      `${origin} is not an Infrascope team server (GET ${AUTH_SESSION_PATH} answered HTTP ${session.status}${session.json ? '' : ', not JSON'}). Is it serve --listen with TLS?`,
      { origin, status: session.status },
    );
  return {
    origin,
    fingerprint256: facts.fingerprint256,
    subject: facts.subject,
    issuer: facts.issuer,
    validFrom: facts.validFrom,
    validTo: facts.validTo,
    selfSigned: facts.selfSigned,
    trustedByCa: seen.authorized,
  };
}

/**
 * The connection to save for `url` trusted as `fingerprint`: the one the user confirmed from the
 * probe (trust on first use) or pasted (a pin). The server is looked at again here, and a
 * certificate other than that one is refused — never silently accepted.
 */
export async function checkTeamServer(
  url: unknown,
  fingerprint: unknown,
  opts: { signal?: AbortSignal } = {},
): Promise<TeamServerConnection> {
  if (typeof fingerprint !== 'string')
    throw new AppError('VALIDATION', "Give the certificate's SHA-256 fingerprint to trust");
  const pin = normalizeThumbprint(fingerprint);
  const probe = await probeTeamServer(url, opts);
  if (probe.fingerprint256 !== pin)
    throw new AppError(
      'TLS_PIN_MISMATCH',
      `The certificate of ${probe.origin} is SHA-256 ${probe.fingerprint256}, not the ${pin} you gave. ` +
        'Check the fingerprint with the server’s administrator (serve prints it at start); do not connect otherwise.',
      { origin: probe.origin, seen: probe.fingerprint256, pinned: pin },
    );
  return { origin: probe.origin, fingerprint256: pin };
}

/** Who a session cookie of the window signs in on the team server; null when nobody. */
export async function signedInAccount(
  connection: TeamServerConnection,
  cookie: string | null,
): Promise<SessionAccount | null> {
  if (!cookie) return null;
  return (await askSession(connection, cookie)).account;
}
