import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CollectedEntity,
  EntityOf,
  EntityType,
  InventoryDelta,
} from '../../src/shared/entities.js';
import { isEntity } from '../../src/shared/entities.js';
import { createVsphereCollector } from '../../src/core/collectors/vsphere/index.js';
import type { Collector } from '../../src/core/collectors/collector.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { openDriver, targetFor, testContext } from './helpers.js';
import type { SimDriver } from './helpers.js';

let sim: Vcsim;
let driver: SimDriver;
let collector: Collector;
let initial: readonly CollectedEntity[];
const deltas: InventoryDelta[] = [];
const abort = new AbortController();
let watching: Promise<void>;

beforeAll(async () => {
  sim = await startVcsim({ standaloneHost: 0, host: 2, vm: 4 });
  driver = await openDriver(sim);
  collector = createVsphereCollector(targetFor(sim), { maxWaitSeconds: 1 });
  initial = (await collector.collectFull(testContext())).entities;
  watching = collector.watch!(testContext(abort.signal), async (d) => {
    deltas.push(d);
  });
  watching.catch(() => undefined); // a rejection fails the last test, not the process
});

afterAll(async () => {
  abort.abort();
  await watching?.catch(() => undefined);
  await collector?.dispose();
  await driver?.close();
  await sim?.stop();
});

/** Polls the received deltas until `pred` finds what it wants, within a couple of seconds. */
async function waitFor<T>(pred: () => T | undefined, ms = 4000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting for a delta');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function upsert<T extends EntityType>(
  type: T,
  id: string,
  test: (e: EntityOf<T>) => boolean,
): EntityOf<T> | undefined {
  for (const d of deltas)
    for (const e of d.upserts) if (isEntity(type)(e) && e.id === id && test(e)) return e;
  return undefined;
}

function vmByName(name: string): EntityOf<'vm'> {
  const vm = initial.filter(isEntity('vm')).find((e) => e.name === name);
  if (!vm) throw new Error(`no vm ${name}`);
  return vm;
}

describe('vSphere watch (WaitForUpdatesEx) against vcsim', () => {
  it('emits nothing spurious for an unchanged inventory', async () => {
    await new Promise((r) => setTimeout(r, 600));
    const vmUpserts = deltas.flatMap((d) => d.upserts).filter((e) => e.type === 'vm');
    expect(vmUpserts).toHaveLength(0);
  });

  it('picks up a power-off', async () => {
    const vm = vmByName('DC0_C0_RP0_VM0');
    expect(vm.fields['powerState']).toBe('poweredOn');
    const t0 = Date.now();
    await driver.powerOff({ type: 'VirtualMachine', value: vm.id });
    const e = await waitFor(() =>
      upsert('vm', vm.id, (x) => x.fields['powerState'] === 'poweredOff'),
    );
    expect(e.name).toBe(vm.name);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('picks up a rename', async () => {
    const vm = vmByName('DC0_C0_RP0_VM1');
    await driver.rename({ type: 'VirtualMachine', value: vm.id }, 'renamed-vm');
    const e = await waitFor(() => upsert('vm', vm.id, (x) => x.name === 'renamed-vm'));
    expect(e.fields['hostId']).toBe(vm.fields['hostId']);
  });

  it('picks up a new snapshot', async () => {
    const vm = vmByName('DC0_C0_RP0_VM2');
    const snap = await driver.createSnapshot(
      { type: 'VirtualMachine', value: vm.id },
      'before-upgrade',
      'pre',
    );
    const e = await waitFor(() => {
      for (const d of deltas)
        for (const x of d.upserts)
          if (x.type === 'snapshot' && x.fields['vmId'] === vm.id) return x;
      return undefined;
    });
    expect(e.name).toBe('before-upgrade');
    if (snap) expect(e.id).toBe(snap.value);
    expect(e.fields['isCurrent']).toBe(true);
    expect(e.fields['parentId']).toBeNull();
    expect(e.fields['description']).toBe('pre');
  });

  it('picks up a child snapshot: parent link and the current flag move', async () => {
    const vm = vmByName('DC0_C0_RP0_VM2');
    const first = deltas
      .flatMap((d) => d.upserts)
      .find((x) => x.type === 'snapshot' && x.fields['vmId'] === vm.id);
    expect(first).toBeDefined();
    await driver.createSnapshot({ type: 'VirtualMachine', value: vm.id }, 'after-upgrade');
    const child = await waitFor(() => {
      for (const d of deltas)
        for (const x of d.upserts)
          if (x.type === 'snapshot' && x.name === 'after-upgrade') return x;
      return undefined;
    });
    expect(child.fields['parentId']).toBe(first?.id);
    expect(child.fields['isCurrent']).toBe(true);
    await waitFor(() => upsert('snapshot', first!.id, (x) => x.fields['isCurrent'] === false));
  });

  it('picks up a VM destroy, removing its disks and NICs too', async () => {
    const vm = vmByName('DC0_C0_RP0_VM3');
    const ref = { type: 'VirtualMachine', value: vm.id };
    await driver.powerOff(ref);
    await driver.destroy(ref);
    const removals = await waitFor(() => {
      const all = deltas.flatMap((d) => d.removals);
      return all.some((r) => r.type === 'vm' && r.id === vm.id) ? all : undefined;
    });
    const children = initial.filter(
      (e) => (e.type === 'vmDisk' || e.type === 'vmNic') && e.fields['vmId'] === vm.id,
    );
    expect(children.length).toBe(2);
    for (const c of children) expect(removals).toContainEqual({ type: c.type, id: c.id });
  });

  it('resolves promptly when aborted', async () => {
    const t0 = Date.now();
    abort.abort();
    await watching;
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
