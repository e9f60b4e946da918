import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVsphereCollector } from '../../src/core/collectors/vsphere/index.js';
import type { CollectedEntity, InventoryDelta } from '../../src/shared/entities.js';
import { isEntity } from '../../src/shared/entities.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { openDriver, recordWaitVersions, targetFor, testContext } from './helpers.js';

/*
 * A sync that is watched afterwards reads the inventory once: its full read is the watch's first
 * update set, and the watch goes on from the version that ended, never from an empty version.
 */

let sim: Vcsim;

beforeAll(async () => {
  sim = await startVcsim({ standaloneHost: 1, host: 2, vm: 4 });
});
afterAll(async () => {
  await sim?.stop();
});

/** Entities by type and id, without the volatile usage counters (they move between reads). */
function byKey(entities: readonly CollectedEntity[]): Map<string, unknown> {
  const volatile = /usage|uptime|overallStatus|quickStats/i;
  return new Map(
    entities.map((e) => [
      `${e.type}:${e.id}`,
      {
        name: e.name,
        fields: Object.fromEntries(Object.entries(e.fields).filter(([k]) => !volatile.test(k))),
      },
    ]),
  );
}

describe('vSphere collectFull followed by watch', () => {
  it('reads the same inventory through the first update set as through RetrievePropertiesEx', async () => {
    const plain = createVsphereCollector(targetFor(sim));
    const watched = createVsphereCollector(targetFor(sim));
    try {
      const a = await plain.collectFull(testContext());
      const b = await watched.collectFull({ ...testContext(), watchNext: true });
      expect(b.entities.length).toBe(a.entities.length);
      expect(a.entities.filter((e) => e.type === 'vm').length).toBeGreaterThan(0);
      expect(byKey(b.entities)).toEqual(byKey(a.entities));
    } finally {
      await plain.dispose();
      await watched.dispose();
    }
  });

  it('starts the watch from the full read’s version: no empty-version wait, updates still come', async () => {
    const collector = createVsphereCollector(targetFor(sim), { maxWaitSeconds: 1 });
    const driver = await openDriver(sim);
    const abort = new AbortController();
    const versions = recordWaitVersions(collector);
    const deltas: InventoryDelta[] = [];
    let watching: Promise<void> | null = null;
    try {
      const inv = await collector.collectFull({ ...testContext(), watchNext: true });
      // The full read: the first update set, from the empty version.
      expect(versions[0]).toBe('');
      const read = versions.length;
      watching = collector.watch!(testContext(abort.signal), async (d) => {
        deltas.push(d);
      });
      watching.catch(() => undefined);
      const vm = inv.entities
        .filter(isEntity('vm'))
        .find((e) => e.fields.powerState === 'poweredOn')!;
      await driver.powerOff({ type: 'VirtualMachine', value: vm.id });
      const end = Date.now() + 10_000;
      const arrived = (): boolean =>
        deltas.some((d) =>
          d.upserts.some(
            (e) => e.type === 'vm' && e.id === vm.id && e.fields['powerState'] === 'poweredOff',
          ),
        );
      while (!arrived() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(arrived()).toBe(true);
      const watchVersions = versions.slice(read);
      expect(watchVersions.length).toBeGreaterThan(0);
      expect(watchVersions).not.toContain('');
      // Nothing but the power-off and what it touched: the inventory did not come again.
      const upserts = deltas.flatMap((d) => d.upserts);
      expect(upserts.length).toBeLessThan(inv.entities.length / 2);
    } finally {
      abort.abort();
      await watching?.catch(() => undefined);
      await collector.dispose();
      await driver.close();
    }
  });
});
