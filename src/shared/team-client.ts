import type { AppCommand } from './contract.js';

/*
 * The desktop app as the client of a team server (issue 17). Main opens the server's own page
 * in a window of its own; that page talks to the server over its WebSocket like any browser, and
 * its preload (src/preload/team.ts) exposes only `window.infrascopeTeam` below — never the local
 * store's contract. Kept apart from ipc-names.ts (and free of run-time imports) so the two
 * sandboxed preloads share no bundled chunk.
 */

/** What the Settings page shows before the user trusts a team server's certificate. */
export interface TeamServerProbe {
  /** `https://host:port`: where the app will open the server's page. */
  readonly origin: string;
  /** SHA-256 of the certificate, colon-separated upper case: what `serve` prints and pins use. */
  readonly fingerprint256: string;
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly selfSigned: boolean;
  /** Whether the system's CAs vouch for the certificate too (the pin is asked for anyway). */
  readonly trustedByCa: boolean;
}

/** The team server the desktop app uses, as the page learns it after connecting. */
export interface TeamServerConnection {
  readonly origin: string;
  readonly fingerprint256: string;
}

/** The IPC channels of the team server's page (main handles them; src/preload/team.ts calls them). */
export const TEAM_CLIENT_CHANNELS = {
  leave: 'infrascope:team:leave',
  /** main → page: a menu command (Export…, Settings, Find…), as `app:command` on the local page. */
  command: 'infrascope:team:command',
} as const;

/** What the team server's page gets as `window.infrascopeTeam` in the desktop app. */
export interface TeamClientBridge {
  /** Forgets the team server and goes back to the local store (one click, no restart). */
  leave(): Promise<void>;
  /** Listens to the desktop menu's commands; returns the removal. */
  onCommand(listener: (command: AppCommand) => void): () => void;
}

/** The window title while the app shows a team server: who is signed in, and where. */
export function teamWindowTitle(origin: string, account: string | null): string {
  const host = new URL(origin).host;
  return `Infrascope — ${account ?? 'signed out'} @ ${host}`;
}
