import type {
  CollectContext,
  Collector,
  CollectorFactory,
  CollectorTarget,
} from '../../src/core/collectors/collector.js';
import type { FullInventory, InventoryDelta } from '../../src/shared/entities.js';
import { AppError } from '../../src/shared/errors.js';

export type DoubleBehavior =
  | { readonly kind: 'ok'; readonly vms?: number }
  | { readonly kind: 'fail'; readonly error?: AppError }
  /** Never finishes until cancelled; `started` resolves when it begins. */
  | { readonly kind: 'hang' };

export interface CollectorDouble {
  readonly factory: CollectorFactory;
  /** Targets the factory was called with (tests check the opened password, the pin...). */
  readonly targets: CollectorTarget[];
  readonly disposed: string[];
  /** Full collections running right now, and the most that ever ran at once. */
  readonly stats: { running: number; maxRunning: number; collects: number };
  /** Deltas to stream per endpoint name when watched; then the watch waits for abort (or breaks). */
  readonly deltas: Map<string, { deltas: InventoryDelta[]; breakAfter?: boolean }>;
  behave(name: string, b: DoubleBehavior): void;
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(new AppError('CANCELLED', 'cancelled'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

export function inventory(endpoint: string, vms: number): FullInventory {
  return {
    entities: [
      { type: 'datacenter', id: 'dc-1', name: `${endpoint}-dc`, fields: {} },
      ...Array.from({ length: vms }, (_, i) => ({
        type: 'vm' as const,
        id: `vm-${i + 1}`,
        name: `${endpoint}-vm-${i + 1}`,
        fields: { powerState: 'poweredOn', cpuCount: 2 },
      })),
    ],
  };
}

/** A collector double: per endpoint, succeed with N VMs, fail with an error, or hang until cancelled. */
export function createCollectorDouble(
  defaultBehavior: DoubleBehavior = { kind: 'ok', vms: 2 },
): CollectorDouble {
  const behaviors = new Map<string, DoubleBehavior>();
  const targets: CollectorTarget[] = [];
  const disposed: string[] = [];
  const stats = { running: 0, maxRunning: 0, collects: 0 };
  const deltas = new Map<string, { deltas: InventoryDelta[]; breakAfter?: boolean }>();
  const factory: CollectorFactory = (target) => {
    targets.push(target);
    const collector: Collector = {
      async collectFull(ctx: CollectContext): Promise<FullInventory> {
        stats.collects++;
        stats.running++;
        stats.maxRunning = Math.max(stats.maxRunning, stats.running);
        try {
          const b = behaviors.get(target.name) ?? defaultBehavior;
          ctx.progress({ phase: 'login' });
          await Promise.resolve();
          if (b.kind === 'fail')
            throw (
              b.error ??
              new AppError('CONNECTION_REFUSED', `${target.host} refused the connection.`)
            );
          if (b.kind === 'hang') return await untilAborted(ctx.signal);
          const inv = inventory(target.name, b.vms ?? 2);
          ctx.progress({ phase: 'vm', done: 0, total: b.vms ?? 2 });
          ctx.progress({ phase: 'vm', done: b.vms ?? 2, total: b.vms ?? 2 });
          return inv;
        } finally {
          stats.running--;
        }
      },
      async watch(ctx, onDelta) {
        const plan = deltas.get(target.name);
        for (const d of plan?.deltas ?? []) await onDelta(d);
        if (plan?.breakAfter) {
          plan.breakAfter = false;
          throw new AppError('CONNECTION_LOST', 'update stream broke');
        }
        await untilAborted(ctx.signal).catch(() => undefined);
      },
      dispose() {
        disposed.push(target.name);
        return Promise.resolve();
      },
    };
    return collector;
  };
  return { factory, targets, disposed, stats, deltas, behave: (name, b) => behaviors.set(name, b) };
}
