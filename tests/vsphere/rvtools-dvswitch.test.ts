import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arr, ref, textXml } from '../../src/core/collectors/vsphere/codec.js';
import type { MoRef } from '../../src/core/collectors/vsphere/codec.js';
import type { EntityRecord } from '../../src/core/export/records.js';
import type { AsyncSource } from '../../src/core/export/source-pg.js';
import { asyncOf, inPgTransaction } from '../../src/core/export/source-pg.js';
import { openSnapshotSource } from '../../src/core/snapshots/store.js';
import { openSnapshotSourcePg } from '../../src/core/snapshots/store-pg.js';
import type { Store } from '../../src/core/store/sqlite.js';
import type { EntityType, FullInventory } from '../../src/shared/entities.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { RVTOOLS_HEADERS } from '../export/rvtools-reference.js';
import {
  at,
  cellValue,
  list,
  objectsOf,
  prop,
  readWithOpenpyxl,
  readWithPyvmomi,
} from '../helpers/python-readers.js';
import type { PyDict, PyInventory, PyObject, PyWorkbook } from '../helpers/python-readers.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES } from '../helpers/store.js';
import { collectSimOnce, openDriver, coreWithSimInventory, exportRvtools } from './helpers.js';

/*
 * Distributed switches, datastore clusters and the plain properties the last RVTools columns
 * need, against vcsim: openpyxl reads what our export wrote, pyVmomi what the simulator holds.
 * vcsim's model switches carry few settings, so one more switch is created the way an operator
 * would (CreateDVS_Task with a description, contact, port limit and traffic shaping), a port
 * group with uplink failure criteria on it, and a datastore cluster holding one datastore.
 * One simulator and one collection of it, written into a store of each engine and exported there.
 */

const MIB = 2 ** 20;
let sim: Vcsim;
let h: CoreHarness;
let py: PyInventory;
let inv: FullInventory;
let book: PyWorkbook;

const SHAPING = (avg: number, peak: number, burst: number): string =>
  '<enabled><inherited>false</inherited><value>true</value></enabled>' +
  `<averageBandwidth><inherited>false</inherited><value>${avg}</value></averageBandwidth>` +
  `<peakBandwidth><inherited>false</inherited><value>${peak}</value></peakBandwidth>` +
  `<burstSize><inherited>false</inherited><value>${burst}</value></burstSize>`;

const policy = (name: string, value: string | number | boolean): string =>
  `<${name}><inherited>false</inherited><value>${String(value)}</value></${name}>`;

/** Builds what vcsim's model lacks: a configured switch and port group, and a StoragePod. */
async function configureSim(): Promise<void> {
  const driver = await openDriver(sim);
  try {
    const dc = await driver.find('Datacenter', 'DC0');
    const [dcProps] = await driver.client.retrieveProps(
      [dc],
      ['networkFolder', 'datastoreFolder', 'datastore'],
    );
    const networkFolder = ref(dcProps?.props.get('networkFolder')) as MoRef;
    const datastoreFolder = ref(dcProps?.props.get('datastoreFolder')) as MoRef;
    const spec =
      '<spec><configSpec xsi:type="VMwareDVSConfigSpec">' +
      textXml('name', 'DVS-core') +
      textXml('maxPorts', 4096) +
      textXml('description', 'Core switch') +
      '<contact><name>netadmin</name><contact>noc@example.test</contact></contact>' +
      '<defaultPortConfig xsi:type="VMwareDVSPortSetting">' +
      `<inShapingPolicy>${SHAPING(100000000, 200000000, 104857600)}</inShapingPolicy>` +
      `<outShapingPolicy>${SHAPING(50000000, 75000000, 52428800)}</outShapingPolicy>` +
      '</defaultPortConfig>' +
      '</configSpec></spec>';
    const dvs = ref(await driver.client.runTask('CreateDVS_Task', networkFolder, spec)) as MoRef;
    await driver.client.runTask(
      'AddDVPortgroup_Task',
      dvs,
      '<spec>' +
        textXml('name', 'PG-checked') +
        textXml('numPorts', 16) +
        textXml('type', 'earlyBinding') +
        '<defaultPortConfig xsi:type="VMwareDVSPortSetting">' +
        '<uplinkTeamingPolicy xsi:type="VmwareUplinkPortTeamingPolicy"><failureCriteria>' +
        policy('checkSpeed', 'minimum') +
        policy('speed', 10) +
        policy('checkDuplex', true) +
        policy('fullDuplex', false) +
        policy('checkErrorPercent', true) +
        policy('percentage', 5) +
        policy('checkBeacon', false) +
        '</failureCriteria></uplinkTeamingPolicy></defaultPortConfig></spec>',
    );
    const pod = ref(
      await driver.client.call('CreateStoragePod', datastoreFolder, textXml('name', 'POD0')),
    ) as MoRef;
    const ds = ref(arr(dcProps?.props.get('datastore'))[0]) as MoRef;
    await driver.client.runTask(
      'MoveIntoFolder_Task',
      pod,
      `<list type="${ds.type}">${ds.value}</list>`,
    );
  } finally {
    await driver.close();
  }
}

beforeAll(async () => {
  sim = await startVcsim({
    dc: 2,
    folder: 1,
    cluster: 1,
    host: 2,
    standaloneHost: 1,
    pool: 1,
    pg: 1,
    vm: 2,
    ds: 2,
  });
  await configureSim();
  // One collection, written into each engine's store below.
  [inv, py] = await Promise.all([
    collectSimOnce(sim),
    readWithPyvmomi(sim, {
      DistributedVirtualSwitch: ['name', 'uuid', 'summary', 'config'],
      DistributedVirtualPortgroup: [
        'name',
        'config.distributedVirtualSwitch',
        'config.defaultPortConfig',
      ],
      VirtualMachine: [
        'name',
        'network',
        'runtime.host',
        'runtime.powerState',
        'summary.quickStats',
      ],
      HostSystem: ['name', 'runtime.inQuarantineMode', 'config.vsanHostConfig'],
      ResourcePool: ['name', 'config.cpuAllocation', 'config.memoryAllocation'],
      StoragePod: ['name', 'summary', 'childEntity'],
      Datastore: ['name', 'info'],
      Network: ['name'],
    }),
  ]);
}, 180_000);

afterAll(async () => {
  await sim?.stop();
  await stopSharedPostgres();
});

/**
 * A saved snapshot's fields and its records of `types`, read as the exporters read it, on either
 * engine.
 */
async function readSnapshot(
  store: Store,
  id: number,
  types: readonly EntityType[],
): Promise<{
  fieldsOf(type: EntityType): readonly string[];
  records(type: EntityType): Map<string, EntityRecord>;
}> {
  const read = async (source: AsyncSource) => {
    const byType = new Map<EntityType, Map<string, EntityRecord>>();
    for (const type of types) {
      const records = new Map<string, EntityRecord>();
      for await (const page of source.pages(type)) for (const r of page) records.set(r.id, r);
      byType.set(type, records);
    }
    return {
      fieldsOf: (type: EntityType) => source.fieldsOf(type),
      records: (type: EntityType) => byType.get(type) ?? new Map<string, EntityRecord>(),
    };
  };
  if (store.engine === 'postgres')
    return inPgTransaction(store, async (c) => read(await openSnapshotSourcePg(c, id)), 'read');
  const source = openSnapshotSource(store.sqlite, id);
  try {
    return await read(asyncOf(source));
  } finally {
    source.close();
  }
}

const v = cellValue;
type Obj = PyDict;
const objects = (type: string): readonly PyObject[] => objectsOf(py, type);
/** pyVmomi leaves unset values out; the workbook leaves the cell empty. */
const orNull = (x: unknown): unknown => (x === undefined || x === '' ? null : x);

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeAll(async () => {
    ({ h } = await coreWithSimInventory(engine, sim, inv));
    book = await readWithOpenpyxl(await exportRvtools(h));
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  describe('RVTools dvSwitch, datastore clusters and the last plain columns (openpyxl vs pyVmomi)', () => {
    it('keeps RVTools’ headers on the sheets it fills', () => {
      for (const name of ['vSource', 'vRP', 'vHost', 'dvSwitch', 'dvPort', 'vDatastore'])
        expect(book.sheet(name)?.headers, name).toEqual(RVTOOLS_HEADERS[name]);
    });

    it('dvSwitch: a row per switch with its product, limits, shaping, contact and members', () => {
      const switches = objects('DistributedVirtualSwitch');
      const rows = new Map(book.records('dvSwitch').map((r) => [String(v(r['Object ID'])), r]));
      expect(switches.length).toBe(3);
      expect(rows.size).toBe(switches.length);
      const hostName = new Map(objects('HostSystem').map((o) => [o.moid, String(prop(o, 'name'))]));
      // VMs per switch, from the VMs' networks and the port groups' switch (each VM once).
      const switchOfPg = new Map(
        objects('DistributedVirtualPortgroup').map((o) => [
          o.moid,
          String(prop(o, 'config.distributedVirtualSwitch')),
        ]),
      );
      const vmsOn = new Map<string, number>();
      for (const vm of objects('VirtualMachine')) {
        const sws = new Set(list(prop(vm, 'network')).map((n) => switchOfPg.get(String(n))));
        for (const sw of sws) if (sw) vmsOn.set(sw, (vmsOn.get(sw) ?? 0) + 1);
      }
      expect([...vmsOn.values()].some((n) => n > 0)).toBe(true);
      for (const o of switches) {
        const r = rows.get(o.moid)!;
        expect(r, o.moid).toBeDefined();
        const cfg = prop(o, 'config') as Obj;
        const product = at(prop(o, 'summary'), 'productInfo') as Obj;
        expect(v(r['Switch'])).toBe(prop(o, 'name'));
        expect(v(r['Name'])).toBe(product['name']);
        expect(v(r['Vendor'])).toBe(product['vendor']);
        expect(v(r['Version'])).toBe(product['version']);
        expect(v(r['Description'])).toBe(orNull(cfg['description']));
        expect(v(r['Max Ports'])).toBe(cfg['maxPorts'] ?? null);
        expect(v(r['# Ports'])).toBe(cfg['numPorts'] ?? null);
        expect(v(r['# VMs'])).toBe(vmsOn.get(o.moid) ?? 0);
        expect(v(r['Host members'])).toBe(
          orNull(
            list(at(prop(o, 'summary'), 'hostMember'))
              .map((m) => hostName.get(String(m)))
              .sort()
              .join(', '),
          ),
        );
        for (const [dir, label] of [
          ['inShapingPolicy', 'In'],
          ['outShapingPolicy', 'Out'],
        ] as const) {
          const s = at(cfg, `defaultPortConfig.${dir}`);
          expect(v(r[`${label} Traffic Shaping`])).toBe(orNull(at(s, 'enabled.value')));
          expect(v(r[`${label} Avg`])).toBe(orNull(at(s, 'averageBandwidth.value')));
          expect(v(r[`${label} Peak`])).toBe(orNull(at(s, 'peakBandwidth.value')));
          expect(v(r[`${label} Burst`])).toBe(orNull(at(s, 'burstSize.value')));
        }
        expect(v(r['Contact'])).toBe(orNull(at(cfg, 'contact.contact')));
        expect(v(r['Admin Name'])).toBe(orNull(at(cfg, 'contact.name')));
        expect(v(r['CDP Type'])).toBe(orNull(at(cfg, 'linkDiscoveryProtocolConfig.protocol')));
        // vcsim types its switches as the base DistributedVirtualSwitch (a real vCenter: the
        // VMware subtype), so the VMware-only paths are not asked for here; its config still
        // says 0, Go's unset, which no switch has as its MTU.
        expect(v(r['Max MTU'])).toBe(orNull(cfg['maxMtu'] === 0 ? undefined : cfg['maxMtu']));
        expect(v(r['VI SDK UUID'])).toBe(py.about['instanceUuid']);
      }
      // The switch made here carries every setting the columns show.
      const core = book.records('dvSwitch').find((r) => v(r['Switch']) === 'DVS-core')!;
      expect(v(core['Description'])).toBe('Core switch');
      expect(v(core['In Avg'])).toBe(100000000);
      expect(v(core['Out Burst'])).toBe(52428800);
      expect(v(core['Admin Name'])).toBe('netadmin');
    });

    it('dvPort: uplink failure criteria of each distributed port group', () => {
      const rows = new Map(book.records('dvPort').map((r) => [String(v(r['Object ID'])), r]));
      let checked = 0;
      for (const o of objects('DistributedVirtualPortgroup')) {
        const r = rows.get(o.moid)!;
        expect(r, o.moid).toBeDefined();
        const fc = at(prop(o, 'config.defaultPortConfig'), 'uplinkTeamingPolicy.failureCriteria');
        expect(v(r['Check Duplex'])).toBe(orNull(at(fc, 'checkDuplex.value')));
        expect(v(r['Check Error %'])).toBe(orNull(at(fc, 'checkErrorPercent.value')));
        expect(v(r['Check Speed'])).toBe(orNull(at(fc, 'checkSpeed.value')));
        expect(v(r['Percentage'])).toBe(orNull(at(fc, 'percentage.value')));
        if (fc !== undefined) checked++;
      }
      expect(checked).toBe(1);
    });

    it('vDatastore: the datastore cluster a datastore is in, with its capacity and free space', () => {
      const pods = objects('StoragePod');
      expect(pods.length).toBe(1);
      const podOf = new Map<string, PyObject>();
      for (const p of pods) for (const c of list(prop(p, 'childEntity'))) podOf.set(String(c), p);
      expect(podOf.size).toBe(1);
      const rows = new Map(book.records('vDatastore').map((r) => [String(v(r['Object ID'])), r]));
      for (const o of objects('Datastore')) {
        const r = rows.get(o.moid)!;
        expect(r, o.moid).toBeDefined();
        const p = podOf.get(o.moid);
        const s = p ? (prop(p, 'summary') as Obj) : null;
        expect(v(r['Cluster name'])).toBe(p ? prop(p, 'name') : null);
        expect(v(r['Cluster capacity MiB'])).toBe(
          s ? Math.round(Number(s['capacity']) / MIB) : null,
        );
        expect(v(r['Cluster free space MiB'])).toBe(
          s ? Math.round(Number(s['freeSpace']) / MIB) : null,
        );
        const nas = at(prop(o, 'info'), 'nas') as Obj | undefined;
        expect(v(r['Address'])).toBe(
          nas ? `${String(nas['remoteHost'])}:${String(nas['remotePath'])}` : null,
        );
      }
    });

    it('vHost: quarantine mode, vSAN fault domain and the sums of its VMs’ memory quick stats', () => {
      const rows = new Map(book.records('vHost').map((r) => [String(v(r['Object ID'])), r]));
      const sums = new Map<string, { used: number; swapped: number; ballooned: number }>();
      for (const vm of objects('VirtualMachine')) {
        if (prop(vm, 'runtime.powerState') !== 'poweredOn') continue;
        const host = String(prop(vm, 'runtime.host'));
        const qs = prop(vm, 'summary.quickStats') as Obj;
        const s = sums.get(host) ?? { used: 0, swapped: 0, ballooned: 0 };
        s.used += Number(qs['hostMemoryUsage'] ?? 0);
        s.swapped += Number(qs['swappedMemory'] ?? 0);
        s.ballooned += Number(qs['balloonedMemory'] ?? 0);
        sums.set(host, s);
      }
      // vcsim's VMs report zero quick stats: tests/export/xlsx.test.ts sums non-zero ones.
      expect(sums.size).toBeGreaterThan(0);
      for (const o of objects('HostSystem')) {
        const r = rows.get(o.moid)!;
        expect(r, o.moid).toBeDefined();
        const s = sums.get(o.moid) ?? { used: 0, swapped: 0, ballooned: 0 };
        expect(v(r['VM Used memory'])).toBe(s.used);
        expect(v(r['VM Memory Swapped'])).toBe(s.swapped);
        expect(v(r['VM Memory Ballooned'])).toBe(s.ballooned);
        expect(v(r['in Quarantine Mode'])).toBe(orNull(prop(o, 'runtime.inQuarantineMode')));
        expect(v(r['vSAN Fault Domain Name'])).toBe(
          orNull(at(prop(o, 'config.vsanHostConfig'), 'faultDomainInfo.name')),
        );
      }
    });

    it('vRP: the pools’ CPU and memory overhead limits', () => {
      const rows = book.records('vRP');
      for (const o of objects('ResourcePool')) {
        const r = rows.find((x) => v(x['Object ID']) === o.moid);
        if (!r) continue; // vcsim's host-owned root pools RVTools does not list either
        expect(v(r['CPU overheadLimit'])).toBe(
          orNull(at(prop(o, 'config.cpuAllocation'), 'overheadLimit')),
        );
        expect(v(r['Mem overheadLimit'])).toBe(
          orNull(at(prop(o, 'config.memoryAllocation'), 'overheadLimit')),
        );
      }
    });

    it('vSource: the server’s license product name and version', () => {
      const [src] = book.records('vSource');
      expect(v(src?.['Product name'])).toBe(py.about['licenseProductName']);
      expect(v(src?.['Product version'])).toBe(py.about['licenseProductVersion']);
      expect(py.about['licenseProductName']).toBeTruthy();
    });

    it('query dv-switches and datastore-clusters list what was collected', async () => {
      const sw = await h.call('inventory:query', { kind: 'dv-switches', limit: 50 });
      expect(sw.rows.map((r) => r['name']).sort()).toEqual(
        objects('DistributedVirtualSwitch')
          .map((o) => prop(o, 'name'))
          .sort(),
      );
      const core = sw.rows.find((r) => r['name'] === 'DVS-core')!;
      expect(core['portGroupCount']).toBe(
        objects('DistributedVirtualPortgroup').filter(
          (o) =>
            prop(o, 'config.distributedVirtualSwitch') ===
            objects('DistributedVirtualSwitch').find((s) => prop(s, 'name') === 'DVS-core')?.moid,
        ).length,
      );
      const pods = await h.call('inventory:query', { kind: 'datastore-clusters', limit: 50 });
      expect(pods.rows.map((r) => [r['name'], r['datastoreCount']])).toEqual([['POD0', 1]]);
    });
  });

  describe('RVTools export → import round trip against vcsim: distributed switches, port groups, datastore clusters', () => {
    it('imports dvSwitch, dvPort and vDatastore’s cluster columns as pyVmomi reads them, and they diff empty against the live inventory', async () => {
      const snap = await h.call('snapshots:import', {
        file: join(h.dir, 'rvtools.xlsx'),
        format: 'rvtools',
      });
      const switches = objects('DistributedVirtualSwitch');
      const pgs = objects('DistributedVirtualPortgroup');
      const pods = objects('StoragePod');
      expect(switches.length).toBe(3);
      expect(pgs.length).toBeGreaterThan(switches.length);
      expect(pods.length).toBe(1);
      // Only distributed port groups come back as networks: vNetwork and vPort name the standard
      // ones but say nothing a network entity holds.
      expect(snap.counts).toMatchObject({
        dvSwitch: switches.length,
        network: pgs.length,
        datastoreCluster: pods.length,
      });

      const source = await readSnapshot(h.core.store, snap.id, [
        'network',
        'dvSwitch',
        'datastoreCluster',
        'datastore',
      ]);
      const { records } = source;
      // The relations and converted values are held by the snapshot (not only left undeclared,
      // which a diff would not compare): each against pyVmomi's reading.
      expect(source.fieldsOf('network')).toEqual(
        expect.arrayContaining(['networkType', 'switchId', 'vlanId', 'activeUplinks', 'numPorts']),
      );
      expect(source.fieldsOf('dvSwitch')).toEqual(
        expect.arrayContaining([
          'datacenterId',
          'hostIds',
          'maxPorts',
          'inShapingAvgBps',
          'contact',
        ]),
      );
      expect(source.fieldsOf('datastore')).toContain('datastoreClusterId');
      const importedPgs = records('network');
      for (const o of pgs) {
        const r = importedPgs.get(o.moid)!;
        expect(r, o.moid).toBeDefined();
        expect(r.name).toBe(prop(o, 'name'));
        expect(r.fields['networkType']).toBe('distributedPortgroup');
        expect(r.fields['switchId']).toBe(prop(o, 'config.distributedVirtualSwitch'));
        const vlan = at(prop(o, 'config.defaultPortConfig'), 'vlan') as Obj | undefined;
        const id = vlan?.['vlanId'];
        expect(r.fields['vlanId']).toBe(
          Array.isArray(id)
            ? `trunk:${id.map((x: Obj) => `${String(x['start'])}-${String(x['end'])}`).join(',')}`
            : id === undefined
              ? null
              : String(id),
        );
      }
      const importedSwitches = records('dvSwitch');
      for (const o of switches) {
        const r = importedSwitches.get(o.moid)!;
        expect(r, o.moid).toBeDefined();
        expect(r.fields['hostIds']).toEqual(
          list(at(prop(o, 'summary'), 'hostMember'))
            .map(String)
            .sort(),
        );
        expect(r.fields['maxPorts']).toBe(at(prop(o, 'config'), 'maxPorts') ?? null);
      }
      expect(
        importedSwitches.get(switches.find((o) => prop(o, 'name') === 'DVS-core')!.moid)!.fields,
      ).toMatchObject({
        description: 'Core switch',
        inShapingAvgBps: 100000000,
        adminName: 'netadmin',
      });
      const [pod] = pods;
      const importedPod = [...records('datastoreCluster').values()];
      expect(importedPod.map((r) => r.name)).toEqual([prop(pod!, 'name')]);
      const podCapacity = Number(at(prop(pod!, 'summary'), 'capacity'));
      expect(Math.abs(Number(importedPod[0]!.fields['capacityBytes']) - podCapacity)).toBeLessThan(
        MIB,
      );
      const inPod = new Set(list(prop(pod!, 'childEntity')).map(String));
      for (const [id, r] of records('datastore')) {
        expect(r.fields['datastoreClusterId'], id).toBe(inPod.has(id) ? importedPod[0]!.id : null);
      }

      const diff = await h.call('snapshots:diff', {
        from: snap.id,
        to: 'now',
        types: ['dvSwitch', 'network', 'datastoreCluster', 'datastore'],
      });
      // What is left is exactly the standard networks, which the workbook does not list as such.
      const dvpg = new Set(pgs.map((o) => o.moid));
      const standard = objects('Network').filter((o) => !dvpg.has(o.moid));
      expect(standard.length).toBeGreaterThan(0);
      expect(diff.entries.map((e) => [e.type, e.change, e.id]).sort()).toEqual(
        standard.map((o) => ['network', 'added', o.moid]).sort(),
      );
    });
  });
});
