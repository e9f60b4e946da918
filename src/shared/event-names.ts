import type { EventName } from './contract.js';

/**
 * Every push event name, as a runtime list with no dependencies, so the sandboxed preload can
 * check event names without bundling the schemas. `satisfies` plus the exhaustiveness check
 * below make the compiler fail when an event is added to EventMap but not here.
 */
export const EVENT_NAMES = [
  'sync:progress',
  'inventory:changed',
  'endpoints:changed',
  'alerts:raised',
  'alerts:changed',
  'webhooks:delivered',
  'export:progress',
  'snapshots:importProgress',
  'app:command',
  'store:status',
] as const satisfies readonly EventName[];

type Missing = Exclude<EventName, (typeof EVENT_NAMES)[number]>;
/** Compile-time proof that no event is missing from the list. */
export const EVENT_NAMES_COMPLETE: Missing extends never ? true : never = true;
