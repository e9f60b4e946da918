import type { FullInventory, InventoryDelta } from '../../shared/entities.js';
import type { EndpointKind } from '../../shared/endpoints.js';
import type { Logger } from '../logger.js';

/** What a collector knows about the endpoint it reads: never the vault, only the opened secret. */
export interface CollectorTarget {
  readonly endpointId: number;
  readonly name: string;
  readonly kind: EndpointKind;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** The opened secret; a collector keeps it no longer than its session needs it. */
  readonly password: string;
  /** Pinned SHA-256 fingerprint of the server certificate (colon-separated hex), if any. */
  readonly thumbprint: string | null;
  /** Hyper-V: use WinRM over HTTPS. */
  readonly useSsl?: boolean;
}

export interface CollectProgress {
  /** A short phase name: 'connect', 'login', 'vm', 'host', 'write'... */
  readonly phase: string;
  /** Real counts only: how many objects are done in this phase, and the total when the server said. */
  readonly done?: number;
  readonly total?: number;
}

/**
 * Asks a full collection to list the datastores' files too (RVTools' vFileInfo), within bounds:
 * the listing is slow on large estates, so it is optional and off unless asked for.
 */
export interface FileListingRequest {
  /** Files kept per datastore; the rest is left out and the result says so. */
  readonly maxFilesPerDatastore?: number;
  /** Files kept in all; datastores after the cap are not browsed. */
  readonly maxFiles?: number;
  /** How long one datastore's search may take. */
  readonly timeoutMs?: number;
}

export interface CollectContext {
  readonly signal: AbortSignal;
  readonly log: Logger;
  progress(p: CollectProgress): void;
  /**
   * `watch` follows this collection: a collector whose updates start with a full read (vSphere's
   * WaitForUpdatesEx) may take the full read from there, so the watch does not read it again.
   */
  readonly watchNext?: boolean;
  /** List the datastores' files in this full collection (absent: no browser task is started). */
  readonly fileInfo?: FileListingRequest;
}

/**
 * A collector reads one endpoint. The sync engine owns its lifetime: it calls `collectFull`, then
 * (when supported) `watch` until the signal aborts, and always `dispose` (which logs out).
 */
export interface Collector {
  collectFull(ctx: CollectContext): Promise<FullInventory>;
  /**
   * Streams incremental updates after a full collection until `ctx.signal` aborts. Resolves when
   * aborted; rejects when the update stream breaks (the engine then runs a full collection again).
   */
  watch?(ctx: CollectContext, onDelta: (delta: InventoryDelta) => Promise<void>): Promise<void>;
  dispose(): Promise<void>;
}

export type CollectorFactory = (target: CollectorTarget) => Collector;
