import type { BrowserWindow, Session } from 'electron';
import { session as sessions } from 'electron';
import { X509Certificate } from 'node:crypto';
import { basename, join } from 'node:path';
import { SESSION_COOKIE } from '../shared/roles.js';
import type { TeamServerConnection } from '../shared/team-client.js';
import { teamWindowTitle } from '../shared/team-client.js';
import { signedInAccount } from './team-server.js';
import type { WindowState } from './window-state.js';
import { createMainWindow, openLockedWindow } from './window.js';

/*
 * The window that shows a team server: the server's own page (its login, then the app over the
 * server's WebSocket), in a session partition of its own whose certificate check accepts, for the
 * server's host, only the pinned certificate. Its preload (src/preload/team.ts) offers only the
 * way back to the local store; the local store's contract never reaches remote content.
 */

/** The team server's cookies and cache live here, apart from the app's own pages. */
export const TEAM_PARTITION = 'persist:team-server';

/** Chromium's net error for a load that another navigation or a stop replaced: not a failure. */
const ERR_ABORTED = -3;

/** Whether `url` is on the team server's origin (blob: URLs of its pages included). */
export function isTeamUrl(url: string, origin: string): boolean {
  try {
    const u = new URL(url);
    return u.origin === origin && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** The SHA-256 of a PEM certificate in `serve`'s form, or null when it is not one. */
function fingerprintOf(pem: string): string | null {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return null;
  }
}

/** What made the team server's page fail to load. */
export interface TeamLoadFailure {
  readonly connection: TeamServerConnection;
  /** The certificate the server showed instead of the pinned one; null for any other failure. */
  readonly certificateChanged: { readonly seen: string | null } | null;
  readonly description: string;
}

type VerifyProc = Parameters<Session['setCertificateVerifyProc']>[0];

/**
 * The partition's certificate check: for the team server's host, the pinned certificate and
 * nothing else (computed from the certificate itself, the way `serve` prints it); any other host
 * gets Chromium's own verification. Each answer for the server is reported to `report`.
 */
export function pinnedVerifyProc(
  connection: TeamServerConnection,
  report: (seen: string | null, accepted: boolean) => void,
): NonNullable<VerifyProc> {
  const host = new URL(connection.origin).hostname.replace(/^\[|\]$/g, '');
  return (request, callback) => {
    if (request.hostname.replace(/^\[|\]$/g, '') !== host) {
      callback(-3);
      return;
    }
    const seen = fingerprintOf(request.certificate.data);
    const accepted = seen === connection.fingerprint256;
    report(seen, accepted);
    callback(accepted ? 0 : -2);
  };
}

/** Sets up the team server's partition: the pin, and exports saved where the user chooses. */
export function prepareTeamSession(
  connection: TeamServerConnection,
  saveFolder: () => string,
  report: (seen: string | null, accepted: boolean) => void,
): Session {
  const ses = sessions.fromPartition(TEAM_PARTITION);
  // For the server's host exactly the pinned certificate (self-signed ones too: that is what the
  // user trusted) and nothing else; every other host keeps Chromium's own verification.
  ses.setCertificateVerifyProc(pinnedVerifyProc(connection, report)); // eng-disable CERTIFICATE_VERIFY_PROC_JS_CHECK
  // An export's file reaches the page as a download: it goes through the OS save dialog, and
  // only downloads of the server's own pages are taken.
  ses.removeAllListeners('will-download');
  ses.on('will-download', (_event, item) => {
    if (!isTeamUrl(item.getURL(), connection.origin)) {
      item.cancel();
      return;
    }
    item.setSaveDialogOptions({
      title: 'Save the export',
      buttonLabel: 'Save',
      defaultPath: join(saveFolder(), basename(item.getFilename() || 'infrascope-export')),
      properties: ['showOverwriteConfirmation', 'createDirectory'],
    });
  });
  return ses;
}

export interface TeamWindowOptions {
  readonly outDir: string;
  readonly connection: TeamServerConnection;
  readonly state?: WindowState;
  readonly icon?: string;
  /** The folder the save dialog of a download starts in (the user's documents). */
  readonly saveFolder: () => string;
  /** The page did not load: a changed certificate, or a server that does not answer. */
  readonly onLoadFailed: (failure: TeamLoadFailure) => void;
  readonly log: { warn(obj: object, msg: string): void };
}

/**
 * Opens the team server's page. The title says who is signed in where, as the server itself
 * answers for the window's session cookie (asked by main over a connection held to the pin).
 */
export function createTeamWindow(o: TeamWindowOptions): BrowserWindow {
  const { connection } = o;
  // The last refusal stays until the pinned certificate is seen again: Chromium caches the
  // answer, so a retry of the same changed certificate may fail without asking again.
  let changed: { seen: string | null } | null = null;
  const ses = prepareTeamSession(connection, o.saveFolder, (seen, accepted) => {
    changed = accepted ? null : { seen };
  });
  const win = openLockedWindow({
    preload: join(o.outDir, 'preload', 'team.cjs'),
    partition: TEAM_PARTITION,
    allowed: (url) => isTeamUrl(url, connection.origin),
    url: `${connection.origin}/`,
    ...(o.state ? { state: o.state } : {}),
    ...(o.icon ? { icon: o.icon } : {}),
  });
  const setTitle = (account: string | null): void => {
    if (!win.isDestroyed()) win.setTitle(teamWindowTitle(connection.origin, account));
  };
  setTitle(null);
  // The page's own <title> would hide which server this is.
  win.on('page-title-updated', (event) => event.preventDefault());
  const contents = win.webContents;
  contents.on('did-finish-load', () => {
    // Sign-in and sign-out both reload the page: ask the server who the session is now.
    void ses.cookies
      .get({ url: connection.origin, name: SESSION_COOKIE })
      .then((cookies) => signedInAccount(connection, cookies[0]?.value ?? null))
      .then(
        (account) => setTitle(account?.name ?? null),
        (e: unknown) => {
          o.log.warn({ err: String(e) }, 'the team server did not say who is signed in');
          setTitle(null);
        },
      );
  });
  contents.on(
    'did-fail-load',
    (_event, code: number, description: string, _url: string, isMainFrame: boolean) => {
      if (!isMainFrame || code === ERR_ABORTED) return;
      o.onLoadFailed({ connection, certificateChanged: changed, description });
    },
  );
  return win;
}

/**
 * The app's window for the current choice: the team server's page when one is connected, the
 * local renderer (app://infrascope) otherwise.
 */
export function openAppWindow(
  connection: TeamServerConnection | null,
  o: Omit<TeamWindowOptions, 'connection'>,
): BrowserWindow {
  return connection
    ? createTeamWindow({ ...o, connection })
    : createMainWindow(o.outDir, o.state, o.icon);
}
