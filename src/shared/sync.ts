import { z } from 'zod';
import { request, returns } from './channel.js';
import type { EntityType } from './entities.js';
import type { SerializedError } from './errors.js';

/* The sync slice of the contract: start and cancel syncs; their progress and what they changed. */

export interface SyncStarted {
  readonly started: readonly { endpointId: number; endpoint: string }[];
  /** Endpoints skipped because a sync of theirs was already running. */
  readonly alreadyRunning: readonly string[];
}

export interface SyncProgressEvent {
  readonly endpointId: number;
  readonly endpoint: string;
  readonly runId: number | null;
  readonly state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly phase: string;
  readonly done?: number;
  readonly total?: number;
  readonly error?: SerializedError;
  /** On success: what the collection left out and why (a file listing cut by its cap). */
  readonly notes?: readonly string[];
}

export interface InventoryChangedEvent {
  readonly endpointId: number;
  /** The sync run whose write it was (none for changes outside a sync, like a removal). */
  readonly runId?: number;
  readonly types: readonly EntityType[];
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
}

export const syncChannels = {
  'sync:start': request(
    z
      .object({
        ids: z.array(z.number().int().positive()).max(1000).optional(),
        /**
         * List the datastores' files in this sync (RVTools' vFileInfo; slow on large estates),
         * whatever the endpoints' setting says; with bounds, or `true` for the defaults.
         */
        fileInfo: z
          .union([
            z.boolean(),
            z
              .object({
                maxFilesPerDatastore: z.number().int().positive().max(10_000_000).optional(),
                maxFiles: z.number().int().positive().max(10_000_000).optional(),
              })
              .strict(),
          ])
          .optional(),
      })
      .strict(),
    returns<SyncStarted>(),
  ),
  'sync:cancel': request(
    z.object({ id: z.number().int().positive() }).strict(),
    returns<{ cancelled: boolean }>(),
  ),
};
