import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreStatus } from '../../../shared/app.js';

/*
 * How the renderer follows the store: polled (SQLite, or a team store whose listener is down) it
 * asks `inventory:version`; pushed it asks nothing of the inventory and relies on the events; a
 * gap in the pushed events ending reloads the pages once. The transport is the edge mocked here:
 * a core that answers from `status` and `version`, and pushes what the test emits.
 */

const core = vi.hoisted(() => ({
  status: { state: 'available', changes: 'pushed' } as StoreStatus,
  version: 'v1',
  asked: [] as string[],
  listeners: new Map<string, Set<(payload: unknown) => void>>(),
}));

vi.mock('../transport.js', () => ({
  api: {
    invoke: (channel: string): Promise<unknown> => {
      core.asked.push(channel);
      if (channel === 'app:storeStatus') return Promise.resolve(core.status);
      if (channel === 'inventory:version') return Promise.resolve({ version: core.version });
      return Promise.reject(new Error(`unexpected ${channel}`));
    },
    on: (event: string, listener: (payload: unknown) => void): (() => void) => {
      const set = core.listeners.get(event) ?? new Set();
      core.listeners.set(event, set);
      set.add(listener);
      return () => set.delete(listener);
    },
  },
}));

const { startLive, useLive } = await import('./live.js');

const push = (event: string, payload: unknown): void => {
  for (const l of core.listeners.get(event) ?? []) l(payload);
};

let stop: () => void;
beforeEach(() => {
  vi.useFakeTimers();
  core.asked.length = 0;
  core.status = { state: 'available', changes: 'pushed' };
  core.version = 'v1';
  useLive.setState({ tick: 0, version: null, online: true });
});
afterEach(() => {
  stop();
  vi.useRealTimers();
});

describe('the renderer following the store', () => {
  it('never polls the inventory while changes are pushed, and refetches on a pushed change', async () => {
    stop = startLive(1000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(core.asked).not.toContain('inventory:version');
    expect(core.asked.filter((c) => c === 'app:storeStatus').length).toBeGreaterThan(5);
    expect(useLive.getState().tick).toBe(0);
    push('inventory:changed', { endpointId: 1, types: ['vm'], created: 1, updated: 0, deleted: 0 });
    await vi.advanceTimersByTimeAsync(500);
    expect(useLive.getState().tick).toBe(1);
  });

  it('polls while the listener is down, and reloads once when changes are pushed again', async () => {
    stop = startLive(1000);
    await vi.advanceTimersByTimeAsync(2000);
    core.status = { state: 'available', changes: 'polled' };
    push('store:status', core.status);
    await vi.advanceTimersByTimeAsync(3000);
    expect(core.asked).toContain('inventory:version');
    const ticks = useLive.getState().tick;
    // Back: whatever changed in the gap was not heard, so the pages reload once.
    core.status = { state: 'available', changes: 'pushed' };
    push('store:status', core.status);
    await vi.advanceTimersByTimeAsync(500);
    expect(useLive.getState().tick).toBe(ticks + 1);
    const polls = core.asked.filter((c) => c === 'inventory:version').length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(core.asked.filter((c) => c === 'inventory:version').length).toBe(polls);
    expect(useLive.getState().tick).toBe(ticks + 1);
  });

  it('polls the version on SQLite and refetches when another process changed it', async () => {
    core.status = { state: 'available', changes: 'polled' };
    stop = startLive(1000);
    await vi.advanceTimersByTimeAsync(2500);
    expect(useLive.getState().tick).toBe(0);
    core.version = 'v2';
    await vi.advanceTimersByTimeAsync(1500);
    expect(useLive.getState().tick).toBe(1);
  });
});
