import { z } from 'zod';
import { request, returns } from './channel.js';

/*
 * User preferences every host shares (table layouts, theme, scope, density): small named text
 * values the renderer reads and writes, kept in the core's settings so the desktop app, `serve`
 * on any port and any browser see the same ones.
 */

/** How many preferences the store keeps at most, and how long one value may be. */
export const MAX_PREFERENCES = 200;
export const MAX_PREFERENCE_BYTES = 16 * 1024;

/** `infrascope.table.vms`, `infrascope.theme`: letters, digits, `.`, `_`, `-`. */
export const preferenceKeySchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only');

export const preferenceSetSchema = z.object({
  key: preferenceKeySchema,
  /** The new value; null removes the preference. */
  value: z.string().max(MAX_PREFERENCE_BYTES).nullable(),
});

/** Every stored preference, by key. */
export type Preferences = Readonly<Record<string, string>>;

/**
 * The desktop app's update feed as the user set it in Settings (an administrator's config file
 * wins over it); read by the Electron shell at start.
 */
export const UPDATE_FEED_PREFERENCE = 'infrascope.desktop.updateFeedUrl';

/** The preferences' slice of the contract: every host reads and writes them. */
export const preferenceChannels = {
  'preferences:get': request(z.object({}).strict(), returns<Preferences>()),
  'preferences:set': request(preferenceSetSchema.strict(), returns<{ saved: true }>()),
};
