import type { Dialog, IpcMain, IpcMainInvokeEvent } from 'electron';
import type { DesktopReply } from '../shared/contract.js';
import { DESKTOP_CHANNELS } from '../shared/ipc-names.js';
import { serializeError } from '../shared/errors.js';
import type { TeamServerConnection, TeamServerProbe } from '../shared/team-client.js';
import { TEAM_CLIENT_CHANNELS } from '../shared/team-client.js';
import { isTrustedSender } from './ipc.js';
import {
  checkTeamServer,
  probeTeamServer,
  readTeamServerSetting,
  writeTeamServerSetting,
} from './team-server.js';
import type { TeamLoadFailure } from './team-window.js';
import { isTeamUrl } from './team-window.js';

/*
 * Which the window shows — the local store or a team server — and the switches between them:
 * Settings → "Connect to a team server" (probe, trust, save, open the server's page) and "Use
 * the local store" (from the server's page, the menu, or a failed load). Switching opens the
 * other window and closes this one; nothing restarts, and the local store is never touched.
 */

export interface TeamClientDeps {
  readonly dataDir: string;
  readonly dialog: Pick<Dialog, 'showMessageBox'>;
  readonly log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
  };
  /** Opens the window for the current choice and closes the old one (main's index.ts). */
  readonly reopen: () => void;
  /** Quits the app (the user would rather not go on with a changed certificate). */
  readonly quit: () => void;
  /** Forgets the team server's sign-in on this machine (the partition's cookies and cache). */
  readonly forget: () => Promise<void>;
  /** Runs the switch after the reply has reached the page (a short timer in the app). */
  readonly defer?: (run: () => void) => void;
  readonly probe?: typeof probeTeamServer;
  readonly check?: typeof checkTeamServer;
}

export interface TeamClient {
  /** The team server the window shows, or null for the local store. */
  connection(): TeamServerConnection | null;
  /** Trusts `url` as `fingerprint` (checked against the server again), saves it, shows it. */
  connect(url: unknown, fingerprint: unknown): Promise<TeamServerConnection>;
  /** Back to the local store: the setting and the server's sign-in here are forgotten. */
  leave(): Promise<void>;
  /** Tells the user why the server's page did not load, with the way back. */
  loadFailed(failure: TeamLoadFailure): Promise<void>;
  /** Removes the IPC handlers. */
  dispose(): void;
}

function refused(): DesktopReply<never> {
  return { ok: false, error: { code: 'FORBIDDEN', message: 'Request from an untrusted frame' } };
}

/** Whether `event` comes from the team server's page itself (its top frame, its origin). */
function fromTeamPage(
  event: Pick<IpcMainInvokeEvent, 'senderFrame'>,
  connection: TeamServerConnection | null,
): boolean {
  const frame = event.senderFrame;
  return (
    connection !== null &&
    !!frame &&
    frame.parent === null &&
    isTeamUrl(frame.url, connection.origin)
  );
}

/** Reads the saved choice and registers the team client's IPC handlers. */
export function createTeamClient(ipcMain: IpcMain, deps: TeamClientDeps): TeamClient {
  const defer = deps.defer ?? ((run: () => void) => void setTimeout(run, 200));
  const probe = deps.probe ?? probeTeamServer;
  const check = deps.check ?? checkTeamServer;
  let current: TeamServerConnection | null = null;
  try {
    current = readTeamServerSetting(deps.dataDir);
  } catch (e) {
    // An unusable setting must not lock the user out: the local store opens, the log says why.
    deps.log.warn(
      { err: String(e) },
      'the team server setting is unusable; showing the local store',
    );
  }

  const client: TeamClient = {
    connection: () => current,
    async connect(url, fingerprint) {
      const connection = await check(url, fingerprint);
      writeTeamServerSetting(deps.dataDir, connection);
      current = connection;
      deps.log.info(
        { origin: connection.origin, fingerprint256: connection.fingerprint256 },
        'the desktop app connects to a team server',
      );
      defer(deps.reopen);
      return connection;
    },
    async leave() {
      const was = current;
      writeTeamServerSetting(deps.dataDir, null);
      current = null;
      await deps.forget();
      deps.log.info({ origin: was?.origin ?? null }, 'the desktop app is back on its local store');
      defer(deps.reopen);
    },
    async loadFailed(failure) {
      const { origin, fingerprint256 } = failure.connection;
      const changed = failure.certificateChanged;
      deps.log.warn(
        { origin, description: failure.description, seen: changed?.seen ?? null },
        'the team server page did not load',
      );
      const { response } = await deps.dialog.showMessageBox({
        type: changed ? 'warning' : 'error',
        title: changed
          ? 'The team server’s certificate changed'
          : 'The team server does not answer',
        message: changed
          ? `The certificate of ${origin} is not the one this app trusts.`
          : `${origin} could not be opened (${failure.description}).`,
        detail: changed
          ? `It is now SHA-256 ${changed.seen ?? '(unreadable)'}; this app pinned ${fingerprint256}.\n\n` +
            'If the server’s certificate was replaced on purpose, check the new fingerprint with its ' +
            'administrator, then use the local store and connect again in Settings. Otherwise someone ' +
            'may be intercepting the connection: do not continue.'
          : 'Check that the server runs and that this machine can reach it, then try again; or use the local store.',
        buttons: changed ? ['Use the local store', 'Quit'] : ['Use the local store', 'Try again'],
        defaultId: 0,
        cancelId: 1,
        noLink: true,
      });
      if (response === 0) await client.leave();
      else if (changed) deps.quit();
      else deps.reopen();
    },
    dispose() {
      ipcMain.removeHandler(DESKTOP_CHANNELS.probeTeamServer);
      ipcMain.removeHandler(DESKTOP_CHANNELS.connectTeamServer);
      ipcMain.removeHandler(TEAM_CLIENT_CHANNELS.leave);
    },
  };

  ipcMain.handle(
    DESKTOP_CHANNELS.probeTeamServer,
    async (event, url: unknown): Promise<DesktopReply<TeamServerProbe>> => {
      if (!isTrustedSender(event)) return refused();
      try {
        return { ok: true, result: await probe(url) };
      } catch (e) {
        return { ok: false, error: serializeError(e) };
      }
    },
  );
  ipcMain.handle(
    DESKTOP_CHANNELS.connectTeamServer,
    async (
      event,
      url: unknown,
      fingerprint: unknown,
    ): Promise<DesktopReply<{ origin: string }>> => {
      if (!isTrustedSender(event)) return refused();
      try {
        const c = await client.connect(url, fingerprint);
        return { ok: true, result: { origin: c.origin } };
      } catch (e) {
        return { ok: false, error: serializeError(e) };
      }
    },
  );
  ipcMain.handle(TEAM_CLIENT_CHANNELS.leave, async (event): Promise<DesktopReply<null>> => {
    if (!fromTeamPage(event, current)) return refused();
    await client.leave();
    return { ok: true, result: null };
  });
  return client;
}
