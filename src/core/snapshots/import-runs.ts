import { randomBytes } from 'node:crypto';
import { isAppError } from '../../shared/errors.js';
import type { ImportProgress, SnapshotImportProgressEvent } from '../../shared/export.js';
import type { ImportLimits } from './limits.js';
import type { EventHub } from '../contract/handlers.js';

/** Control of a long import: progress with real counts, and cancellation. */
export interface ImportControl {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ImportProgress) => void;
  /** What the import may cost; {@link importLimits} (defaults and environment) when absent. */
  readonly limits?: ImportLimits;
}

/**
 * The imports running now, by id: each reports `snapshots:importProgress` events (throttled) and
 * can be cancelled by id (`snapshots:cancelImport`), whichever way it came in (the
 * `snapshots:import` request, a `serve` upload, the desktop's file dialog).
 */
export interface ImportRuns {
  /**
   * Runs `work` as import `importId` (a fresh id when left out), handing it the signal and the
   * progress callback to thread through. `outer` adds a caller's own signal and listener.
   *
   * @example
   * await core.imports.run(id, (ctl) => importSnapshotFile(core.store, file, { name, ...ctl }));
   */
  run<T>(
    importId: string | undefined,
    work: (ctl: Required<Pick<ImportControl, 'signal' | 'onProgress'>>) => Promise<T>,
    outer?: ImportControl,
  ): Promise<T>;
  /** Aborts import `importId`; false when none by that id is running. */
  cancel(importId: string): boolean;
  /** Aborts every running import (on shutdown). */
  dispose(): void;
}

const THROTTLE_MS = 100;

export function createImportRuns(deps: { readonly events: EventHub }): ImportRuns {
  const running = new Map<string, AbortController>();
  return {
    async run(asked, work, outer = {}) {
      let importId = asked ?? `import-${randomBytes(6).toString('hex')}`;
      // A client reusing a running id gets its own run under a suffixed id, never the other's.
      if (running.has(importId)) importId = `${importId}-${randomBytes(3).toString('hex')}`;
      const controller = new AbortController();
      const onAbort = (): void => controller.abort();
      outer.signal?.addEventListener('abort', onAbort, { once: true });
      if (outer.signal?.aborted) controller.abort();
      running.set(importId, controller);
      let last = 0;
      let lastPhase = '';
      let latest: ImportProgress = { phase: 'start', done: 0 };
      // The newest event held back by the throttle: sent before the next phase's first, so each
      // phase's final count is seen.
      let held: SnapshotImportProgressEvent | null = null;
      const send = (e: SnapshotImportProgressEvent): void => {
        held = null;
        last = Date.now();
        lastPhase = e.phase;
        deps.events.emit('snapshots:importProgress', e);
      };
      const emit = (e: SnapshotImportProgressEvent, force: boolean): void => {
        if (e.phase !== lastPhase && held !== null) send(held);
        if (force || e.phase !== lastPhase || Date.now() - last >= THROTTLE_MS) send(e);
        else held = e;
      };
      const onProgress = (p: ImportProgress): void => {
        latest = p;
        outer.onProgress?.(p);
        emit({ importId, state: 'running', ...p }, false);
      };
      try {
        emit({ importId, state: 'running', ...latest }, true);
        const result = await work({ signal: controller.signal, onProgress });
        emit({ importId, state: 'succeeded', ...latest }, true);
        return result;
      } catch (e) {
        const state = isAppError(e) && e.code === 'CANCELLED' ? 'cancelled' : 'failed';
        emit({ importId, state, ...latest }, true);
        throw e;
      } finally {
        running.delete(importId);
        outer.signal?.removeEventListener('abort', onAbort);
      }
    },
    cancel(importId) {
      const c = running.get(importId);
      c?.abort();
      return c !== undefined;
    },
    dispose() {
      for (const c of running.values()) c.abort();
    },
  };
}
