import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FullInventory } from '../../src/shared/entities.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { at, readWithOpenpyxl, readWithPyvmomi } from '../helpers/python-readers.js';
import type {
  PyCell,
  PyDict,
  PyInventory,
  PyObject,
  PyWorkbook,
} from '../helpers/python-readers.js';
import { RVTOOLS_HEADERS, VM_SHEETS } from '../export/rvtools-reference.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES } from '../helpers/store.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { collectSimOnce, openDriver, coreWithSimInventory, exportRvtools } from './helpers.js';
import type { SimDriver } from './helpers.js';

/*
 * The VM sheets of our RVTools export against vcsim, read by two independent readers: openpyxl
 * reads the workbook we wrote, pyVmomi reads the same simulator. Row counts and the values of the
 * columns we fill must agree, with RVTools' unit conversions done here from pyVmomi's raw values.
 * One simulator and one collection of it, written into a store of each engine and exported there.
 */

const MIB = 2 ** 20;
const VM_PATHS = [
  'name',
  'configStatus',
  'runtime.powerState',
  'config.template',
  'config.version',
  'config.uuid',
  'config.instanceUuid',
  'config.hardware.numCPU',
  'config.hardware.numCoresPerSocket',
  'config.hardware.memoryMB',
  'config.hardware.device',
  'config.cpuAllocation',
  'config.memoryAllocation',
  'config.cpuHotAddEnabled',
  'config.cpuHotRemoveEnabled',
  'config.memoryHotAddEnabled',
  'config.changeTrackingEnabled',
  'config.latencySensitivity',
  'config.files',
  'config.managedBy',
  'guest.guestState',
  'guest.disk',
  'guestHeartbeatStatus',
  'summary.storage',
  'summary.quickStats',
  'layoutEx.file',
  'layoutEx.snapshot',
];

let sim: Vcsim;
let driver: SimDriver;
let h: CoreHarness;
let py: PyInventory;
let inv: FullInventory;
let wb: PyWorkbook;

type Dict = PyDict;
const mib = (bytes: unknown): number | null =>
  typeof bytes === 'number' ? Math.round(bytes / MIB) : null;
/** A disk's size: capacityInBytes, or capacityInKB on servers that send only that. */
const diskSize = (d: Dict): number =>
  typeof d['capacityInBytes'] === 'number'
    ? d['capacityInBytes']
    : Number(d['capacityInKB'] ?? 0) * 1024;
/** A cell's value as openpyxl typed it (empty is null). */
const val = (c: PyCell | undefined): unknown => (c === undefined ? undefined : c.v);
/**
 * A value as RVTools writes it: pyVmomi leaves unset properties out (RVTools writes them empty),
 * and booleans are the text True / False.
 */
const orNull = (v: unknown): unknown =>
  v === undefined ? null : typeof v === 'boolean' ? (v ? 'True' : 'False') : v;

function devices(vm: PyObject, type?: string): Dict[] {
  const list = (vm.props['config.hardware.device'] as Dict[] | undefined) ?? [];
  return type ? list.filter((d) => d['_type'] === type) : list;
}

beforeAll(async () => {
  sim = await startVcsim({ dc: 2, folder: 1, pool: 1, standaloneHost: 1, pg: 1, vm: 2 });
  driver = await openDriver(sim);
  // A snapshot, so vSnapshot has rows with vmsn files.
  const [first] = await driver.list('VirtualMachine');
  await driver.createSnapshot(first!.ref, 'before-upgrade', 'rvtools test');
  // One collection, written into each engine's store below.
  [inv, py] = await Promise.all([
    collectSimOnce(sim),
    readWithPyvmomi(sim, {
      VirtualMachine: VM_PATHS,
      ResourcePool: ['name'],
      HostSystem: [
        'config.network.pnic',
        'config.storageDevice.hostBusAdapter',
        'config.network.vnic',
      ],
    }),
  ]);
}, 180_000);

afterAll(async () => {
  await driver?.close();
  await sim?.stop();
  await stopSharedPostgres();
});

const vms = (): readonly PyObject[] => py.objects['VirtualMachine'] ?? [];
const byVm = (sheet: string): Map<string, Record<string, PyCell>[]> => {
  const out = new Map<string, Record<string, PyCell>[]>();
  for (const r of wb.records(sheet)) {
    const id = String(val(r['VM ID']));
    out.set(id, [...(out.get(id) ?? []), r]);
  }
  return out;
};

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeAll(async () => {
    ({ h } = await coreWithSimInventory(engine, sim, inv));
    wb = await readWithOpenpyxl(await exportRvtools(h), VM_SHEETS);
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  describe('RVTools VM sheets against vcsim (openpyxl vs pyVmomi)', () => {
    it("writes RVTools' headers, one row per VM, device, partition and snapshot", () => {
      for (const name of ['vInfo', 'vCPU', 'vMemory', 'vDisk', 'vPartition', 'vNetwork', 'vCD']) {
        expect(wb.sheet(name)?.headers, name).toEqual(RVTOOLS_HEADERS[name]);
      }
      for (const name of ['vUSB', 'vSnapshot', 'vTools']) {
        expect(wb.sheet(name)?.headers, name).toEqual(RVTOOLS_HEADERS[name]);
      }
      const all = vms();
      expect(all.length).toBeGreaterThan(3);
      const count = (f: (vm: PyObject) => number): number => all.reduce((n, vm) => n + f(vm), 0);
      expect(wb.records('vInfo')).toHaveLength(all.length);
      expect(wb.records('vCPU')).toHaveLength(all.length);
      expect(wb.records('vMemory')).toHaveLength(all.length);
      expect(wb.records('vTools')).toHaveLength(all.length);
      expect(wb.records('vDisk')).toHaveLength(count((vm) => devices(vm, 'VirtualDisk').length));
      expect(wb.records('vCD')).toHaveLength(count((vm) => devices(vm, 'VirtualCdrom').length));
      expect(wb.records('vUSB')).toHaveLength(count((vm) => devices(vm, 'VirtualUSB').length));
      expect(wb.records('vNetwork')).toHaveLength(
        count((vm) => devices(vm).filter((d) => d['macAddress'] !== undefined).length),
      );
      expect(wb.records('vPartition')).toHaveLength(
        count((vm) => ((vm.props['guest.disk'] as unknown[] | undefined) ?? []).length),
      );
      expect(wb.records('vSnapshot')).toHaveLength(
        count((vm) => ((vm.props['layoutEx.snapshot'] as unknown[] | undefined) ?? []).length),
      );
      expect(wb.records('vSnapshot').length).toBeGreaterThan(0);
      expect(wb.records('vCD').length).toBeGreaterThan(0);
    });

    it('fills vInfo with what pyVmomi reads', () => {
      const rows = byVm('vInfo');
      for (const vm of vms()) {
        const [r] = rows.get(vm.moid) ?? [];
        expect(r, vm.moid).toBeDefined();
        const p = vm.props;
        const disks = devices(vm, 'VirtualDisk');
        const diskBytes = disks.reduce((n, d) => n + diskSize(d), 0);
        const committed = Number(at(p['summary.storage'], 'committed') ?? 0);
        const uncommitted = Number(at(p['summary.storage'], 'uncommitted') ?? 0);
        // pyVmomi names the WSDL's VirtualMachineVideoCard vim.vm.device.VirtualVideoCard.
        const video = devices(vm, 'VirtualVideoCard')[0];
        const expected: Dict = {
          VM: p['name'],
          Powerstate: p['runtime.powerState'],
          Template: orNull(p['config.template']),
          'SRM Placeholder': orNull(
            at(p['config.managedBy'], 'extensionKey') === 'com.vmware.vcDr' &&
              at(p['config.managedBy'], 'type') === 'placeholderVm',
          ),
          'Config status': p['configStatus'],
          'Guest state': orNull(p['guest.guestState']),
          Heartbeat: orNull(p['guestHeartbeatStatus']),
          CPUs: p['config.hardware.numCPU'],
          Memory: p['config.hardware.memoryMB'],
          CBT: orNull(p['config.changeTrackingEnabled']),
          'Latency Sensitivity': orNull(at(p['config.latencySensitivity'], 'level')),
          'HW version': Number(String(p['config.version']).replace('vmx-', '')),
          'Total disk capacity MiB': mib(diskBytes),
          'Provisioned MiB': mib(Math.max(committed + uncommitted, diskBytes)),
          'In Use MiB': mib(committed),
          'Unshared MiB': mib(at(p['summary.storage'], 'unshared')),
          'Num Monitors': orNull(video?.['numDisplays']),
          'Video Ram KiB': orNull(video?.['videoRamSizeInKB']),
          Path: at(p['config.files'], 'vmPathName'),
          'Log directory': orNull(at(p['config.files'], 'logDirectory')),
          'Snapshot directory': orNull(at(p['config.files'], 'snapshotDirectory')),
          'SMBIOS UUID': p['config.uuid'],
          'VM UUID': p['config.instanceUuid'],
          'VI SDK API Version': py.about['apiVersion'],
          'VI SDK UUID': py.about['instanceUuid'],
          'VI SDK Server': sim.host,
        };
        for (const [header, want] of Object.entries(expected)) {
          expect(val(r![header]), `${vm.moid} ${header}`).toEqual(want);
        }
        // Declared unavailable: written empty.
        for (const header of ['EnableUUID', 'Overall Cpu Readiness', 'Boot Required']) {
          expect(r![header]?.t, header).toBe('e');
        }
      }
    });

    // vcsim (Debian's govmomi) leaves guest.guestState, guestHeartbeatStatus, quickStats memory
    // counters and disk UUIDs unset: those columns compare empty with empty above. These it sets.
    it('compares filled values: the simulator sets the facts these columns hold', () => {
      const filled = (sheet: string, header: string): number =>
        wb.records(sheet).filter((r) => r[header] !== undefined && r[header].t !== 'e').length;
      for (const [sheet, header] of [
        ['vInfo', 'Num Monitors'],
        ['vInfo', 'Provisioned MiB'],
        ['vInfo', 'Path'],
        ['vInfo', 'VI SDK UUID'],
        ['vCPU', 'Level'],
        ['vCPU', 'Shares'],
        ['vDisk', 'Path'],
        ['vDisk', 'Controller'],
        ['vCD', 'Device Node'],
        ['vSnapshot', 'Filename'],
      ] as const) {
        expect(filled(sheet, header), `${sheet} ${header}`).toBeGreaterThan(0);
      }
    });

    it('fills vCPU, vMemory and vTools with allocation, usage and tools state', () => {
      const cpu = byVm('vCPU');
      const mem = byVm('vMemory');
      const tools = byVm('vTools');
      for (const vm of vms()) {
        const p = vm.props;
        const ca = p['config.cpuAllocation'];
        const ma = p['config.memoryAllocation'];
        const qs = p['summary.quickStats'];
        const cpus = Number(p['config.hardware.numCPU']);
        const cps = Number(p['config.hardware.numCoresPerSocket'] ?? 0);
        const c = cpu.get(vm.moid)![0]!;
        expect(
          {
            CPUs: val(c['CPUs']),
            Sockets: val(c['Sockets']),
            'Cores p/s': val(c['Cores p/s']),
            Level: val(c['Level']),
            Shares: val(c['Shares']),
            Reservation: val(c['Reservation']),
            Limit: val(c['Limit']),
            Overall: val(c['Overall']),
            'Hot Add': val(c['Hot Add']),
            'Hot Remove': val(c['Hot Remove']),
          },
          vm.moid,
        ).toEqual({
          CPUs: cpus,
          Sockets: cps ? Math.ceil(cpus / cps) : null,
          'Cores p/s': orNull(p['config.hardware.numCoresPerSocket']),
          Level: orNull(at(ca, 'shares.level')),
          Shares: orNull(at(ca, 'shares.shares')),
          Reservation: orNull(at(ca, 'reservation')),
          Limit: orNull(at(ca, 'limit')),
          Overall: orNull(at(qs, 'overallCpuUsage')),
          'Hot Add': orNull(p['config.cpuHotAddEnabled']),
          'Hot Remove': orNull(p['config.cpuHotRemoveEnabled']),
        });
        const m = mem.get(vm.moid)![0]!;
        expect(
          {
            'Size MiB': val(m['Size MiB']),
            Consumed: val(m['Consumed']),
            Ballooned: val(m['Ballooned']),
            Swapped: val(m['Swapped']),
            Active: val(m['Active']),
            Reservation: val(m['Reservation']),
            Limit: val(m['Limit']),
            Shares: val(m['Shares']),
            'Hot Add': val(m['Hot Add']),
          },
          vm.moid,
        ).toEqual({
          'Size MiB': p['config.hardware.memoryMB'],
          Consumed: orNull(at(qs, 'hostMemoryUsage')),
          Ballooned: orNull(at(qs, 'balloonedMemory')),
          Swapped: orNull(at(qs, 'swappedMemory')),
          Active: orNull(at(qs, 'guestMemoryUsage')),
          Reservation: orNull(at(ma, 'reservation')),
          Limit: orNull(at(ma, 'limit')),
          Shares: orNull(at(ma, 'shares.shares')),
          'Hot Add': orNull(p['config.memoryHotAddEnabled']),
        });
        const t = tools.get(vm.moid)![0]!;
        expect(val(t['VM Version'])).toBe(Number(String(p['config.version']).replace('vmx-', '')));
        expect(val(t['Heartbeat status'])).toEqual(orNull(p['guestHeartbeatStatus']));
      }
    });

    it('fills vDisk with backing and controller facts, the VMDK in Path', () => {
      const rows = byVm('vDisk');
      for (const vm of vms()) {
        const byKey = new Map(devices(vm).map((d) => [String(d['key']), d]));
        const ours = rows.get(vm.moid) ?? [];
        for (const d of devices(vm, 'VirtualDisk')) {
          const r = ours.find((x) => val(x['Disk Key']) === d['key']);
          expect(r, `${vm.moid} disk ${String(d['key'])}`).toBeDefined();
          const b = d['backing'] as Dict;
          const controller = byKey.get(String(d['controllerKey']));
          expect(
            {
              Disk: val(r!['Disk']),
              'Capacity MiB': val(r!['Capacity MiB']),
              Path: val(r!['Path']),
              'Disk Mode': val(r!['Disk Mode']),
              Thin: val(r!['Thin']),
              'Eagerly Scrub': val(r!['Eagerly Scrub']),
              'Write Through': val(r!['Write Through']),
              Split: val(r!['Split']),
              'Sharing mode': val(r!['Sharing mode']),
              'Disk UUID': val(r!['Disk UUID']),
              Raw: val(r!['Raw']),
              Controller: val(r!['Controller']),
              'Unit #': val(r!['Unit #']),
            },
            vm.moid,
          ).toEqual({
            Disk: at(d, 'deviceInfo.label'),
            'Capacity MiB': mib(diskSize(d)),
            Path: b['fileName'],
            'Disk Mode': orNull(b['diskMode']),
            Thin: orNull(b['thinProvisioned']),
            'Eagerly Scrub': orNull(b['eagerlyScrub']),
            'Write Through': orNull(b['writeThrough']),
            Split: orNull(b['split']),
            'Sharing mode': orNull(b['sharing']),
            'Disk UUID': orNull(b['uuid']),
            // pyVmomi's name of VirtualDiskRawDiskMappingVer1BackingInfo.
            Raw: orNull(String(b['_type']).endsWith('RawDiskMappingVer1BackingInfo')),
            Controller: orNull(at(controller, 'deviceInfo.label')),
            'Unit #': orNull(d['unitNumber']),
          });
        }
      }
    });

    it('fills vCD per drive and vSnapshot with the vmsn file', () => {
      const cds = byVm('vCD');
      const snaps = byVm('vSnapshot');
      for (const vm of vms()) {
        const drives = devices(vm, 'VirtualCdrom');
        const ours = cds.get(vm.moid) ?? [];
        expect(ours.map((r) => val(r['Device Node'])).sort()).toEqual(
          drives.map((d) => at(d, 'deviceInfo.label')).sort(),
        );
        for (const d of drives) {
          const r = ours.find((x) => val(x['Device Node']) === at(d, 'deviceInfo.label'))!;
          expect(val(r['Connected'])).toEqual(orNull(at(d, 'connectable.connected')));
          expect(val(r['Starts Connected'])).toEqual(orNull(at(d, 'connectable.startConnected')));
        }
        const files = new Map(
          ((vm.props['layoutEx.file'] as Dict[] | undefined) ?? []).map((f) => [
            String(f['key']),
            f,
          ]),
        );
        for (const s of (vm.props['layoutEx.snapshot'] as Dict[] | undefined) ?? []) {
          const data = files.get(String(s['dataKey']));
          const r = (snaps.get(vm.moid) ?? []).find((x) => val(x['Filename']) === data?.['name']);
          expect(r, `${vm.moid} ${String(s['key'])}`).toBeDefined();
          expect(val(r!['Size MiB (vmsn)'])).toBe(mib(data?.['size']));
        }
      }
    });
  });

  describe('RVTools export → import round trip against vcsim', () => {
    it('imports the exported workbook with the resource pools, disks, guest partitions, network adapters, snapshots and host devices pyVmomi reads, and it diffs empty against the live inventory', async () => {
      const snap = await h.call('snapshots:import', {
        file: join(h.dir, 'rvtools.xlsx'),
        format: 'rvtools',
      });
      const disks = vms().flatMap((vm) => devices(vm, 'VirtualDisk'));
      const partitions = vms().flatMap(
        (vm) => (vm.props['guest.disk'] as unknown[] | undefined) ?? [],
      );
      const pools = py.objects['ResourcePool'] ?? [];
      expect(pools.length).toBeGreaterThan(0);
      const nics = vms().flatMap((vm) => devices(vm).filter((d) => d['macAddress'] !== undefined));
      const snapshots = vms().flatMap(
        (vm) => (vm.props['layoutEx.snapshot'] as unknown[] | undefined) ?? [],
      );
      expect(disks.length).toBeGreaterThan(0);
      expect(nics.length).toBeGreaterThan(0);
      expect(snapshots.length).toBeGreaterThan(0);
      expect(snap.counts).toMatchObject({
        vm: vms().length,
        vmDisk: disks.length,
        vmNic: nics.length,
        snapshot: snapshots.length,
        resourcePool: pools.length,
      });
      // vcsim reports no guest disks (guest.disk is empty), so vPartition has no rows here.
      expect(snap.counts['guestPartition'] ?? 0).toBe(partitions.length);
      // Host devices: vNIC, vHBA, vSC_VMK rows as pyVmomi lists the hosts' devices.
      const hostDevices = (p: string): number =>
        (py.objects['HostSystem'] ?? []).reduce(
          (n, o) => n + ((o.props[p] as unknown[] | undefined) ?? []).length,
          0,
        );
      const pnics = hostDevices('config.network.pnic');
      expect(pnics).toBeGreaterThan(0);
      expect(snap.counts).toMatchObject({
        hostNic: pnics,
        hba: hostDevices('config.storageDevice.hostBusAdapter'),
        vmkernel: hostDevices('config.network.vnic'),
      });

      const diff = await h.call('snapshots:diff', {
        from: snap.id,
        to: 'now',
        types: [
          'vm',
          'vmDisk',
          'guestPartition',
          'vmNic',
          'snapshot',
          'hostNic',
          'hba',
          'vmkernel',
        ],
      });
      expect(diff.entries).toEqual([]);
    });
  });
});
