import type { Channel } from './contract.js';

/*
 * Who may do what on a team server (issue 17). Roles are ordered: each one may do everything the
 * one before it may. The table below is the contract's declaration of the least role each
 * channel needs; the dispatcher (src/core/contract/handlers.ts) enforces it for every transport.
 * Typed as a total map over `Channel`, so a channel added without a role does not compile.
 */

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` is `least` or above it. */
export function roleAtLeast(role: Role, least: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(least);
}

/**
 * The least role each channel needs. viewer: reads everything but secrets (no channel returns
 * one); operator: also syncs, handles alerts, exports and takes snapshots; admin: also manages
 * endpoints, credentials, webhooks, rules, schedules, retention, snapshots' removal, accounts
 * and API tokens.
 */
export const CHANNEL_ROLES: { readonly [C in Channel]: Role } = {
  'app:info': 'viewer',
  'app:storeStatus': 'viewer',
  'inventory:query': 'viewer',
  'inventory:fields': 'viewer',
  'inventory:tags': 'viewer',
  'inventory:entity': 'viewer',
  'inventory:search': 'viewer',
  'inventory:version': 'viewer',
  'endpoints:list': 'viewer',
  'endpoints:add': 'admin',
  'endpoints:update': 'admin',
  'endpoints:remove': 'admin',
  // Connects with the stored credentials to a server the admin chose: an admin's check.
  'endpoints:test': 'admin',
  'endpoints:trust': 'admin',
  'sync:start': 'operator',
  'sync:cancel': 'operator',
  'alerts:list': 'viewer',
  'alerts:ack': 'operator',
  'alerts:snooze': 'operator',
  'alerts:history': 'viewer',
  'alerts:suppress': 'operator',
  'alerts:unsuppress': 'operator',
  'alerts:suppressions': 'viewer',
  'alerts:rules': 'viewer',
  'alerts:updateRule': 'admin',
  'alerts:evaluate': 'operator',
  'alerts:summary': 'viewer',
  'metrics:series': 'viewer',
  'metrics:retention': 'viewer',
  'metrics:setRetention': 'admin',
  'capacity:report': 'viewer',
  // A webhook's DTO shows the scheme and host only, never the URL's secret path.
  'webhooks:list': 'viewer',
  'webhooks:add': 'admin',
  'webhooks:update': 'admin',
  'webhooks:remove': 'admin',
  'webhooks:test': 'admin',
  'webhooks:deliveries': 'viewer',
  'export:run': 'operator',
  'export:save': 'operator',
  'export:cancel': 'operator',
  'snapshots:list': 'viewer',
  'snapshots:save': 'operator',
  'snapshots:delete': 'admin',
  'snapshots:diff': 'viewer',
  'snapshots:import': 'operator',
  'snapshots:cancelImport': 'operator',
  'snapshots:rows': 'viewer',
  'schedules:get': 'viewer',
  'schedules:set': 'admin',
  'preferences:get': 'viewer',
  // Table layouts and theme: what a viewer's own page arranges, nothing the team relies on.
  'preferences:set': 'viewer',
  // Accounts and API tokens: who may do all of the above is an admin's decision alone.
  'users:list': 'admin',
  'users:add': 'admin',
  'users:setRole': 'admin',
  'users:setDisabled': 'admin',
  'users:unlock': 'admin',
  'users:setPassword': 'admin',
  'users:logoutAll': 'admin',
  'tokens:list': 'admin',
  'tokens:create': 'admin',
  'tokens:revoke': 'admin',
};

/** The least role `channel` needs. */
export function roleFor(channel: Channel): Role {
  return CHANNEL_ROLES[channel];
}

/** The account a session or token speaks for, as `GET /auth/session` and the login return it. */
export interface SessionAccount {
  readonly name: string;
  readonly role: Role;
}

/** The team server's HTTP routes for signing in and out (the desktop client uses them too). */
export const AUTH_LOGIN_PATH = '/auth/login';
export const AUTH_LOGOUT_PATH = '/auth/logout';
export const AUTH_SESSION_PATH = '/auth/session';
/** Signs every session of the caller's account out (logout everywhere). */
export const AUTH_LOGOUT_ALL_PATH = '/auth/logout-all';
export const SESSION_COOKIE = 'infrascope_session';
/** Sign-in through the team's identity provider (OIDC), when serve is configured for one. */
export const AUTH_OIDC_START_PATH = '/auth/oidc/start';
export const AUTH_OIDC_CALLBACK_PATH = '/auth/oidc/callback';
