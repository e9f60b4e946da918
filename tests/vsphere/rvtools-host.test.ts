import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateEndpoint } from '../../src/core/alerts/engine.js';
import type { FullInventory } from '../../src/shared/entities.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { HOST_SIDE_SHEETS, RVTOOLS_HEADERS } from '../export/rvtools-reference.js';
import {
  cellValue,
  list,
  objectsOf,
  prop,
  readWithOpenpyxl,
  readWithPyvmomi,
} from '../helpers/python-readers.js';
import type {
  PyCell,
  PyDict,
  PyInventory,
  PyObject,
  PyWorkbook,
} from '../helpers/python-readers.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES } from '../helpers/store.js';
import { collectSimOnce, coreWithSimInventory, exportRvtools } from './helpers.js';

/*
 * RVTools' host-side sheets against vcsim: what our export writes, read back with openpyxl, holds
 * the values pyVmomi reads from the same simulator (units converted here from pyVmomi's raw
 * values). Two independent readers, so a wrong property path, unit or type shows. One simulator
 * and one collection of it, written into a store of each engine and exported there.
 */

const MIB = 2 ** 20;
let sim: Vcsim;
let h: CoreHarness;
let py: PyInventory;
let inv: FullInventory;
let book: PyWorkbook;

const HOST_PATHS = [
  'name',
  'summary.hardware',
  'summary.config.product.fullName',
  'configStatus',
  'hardware.biosInfo',
  'config.hyperThread',
  'config.powerSystemInfo.currentPolicy',
  'config.network.dnsConfig',
  'config.network.pnic',
  'config.network.vnic',
  'config.network.vswitch',
  'config.network.portgroup',
  'config.storageDevice.hostBusAdapter',
  'config.storageDevice.multipathInfo',
  'config.storageDevice.scsiLun',
];

beforeAll(async () => {
  sim = await startVcsim({
    dc: 2,
    folder: 1,
    cluster: 1,
    host: 2,
    standaloneHost: 1,
    pool: 1,
    pg: 1,
    vm: 1,
    ds: 2,
  });
  // One collection, written into each engine's store below.
  [inv, py] = await Promise.all([
    collectSimOnce(sim),
    readWithPyvmomi(
      sim,
      {
        HostSystem: HOST_PATHS,
        ClusterComputeResource: ['name', 'summary'],
        ResourcePool: ['name', 'config.cpuAllocation', 'config.memoryAllocation'],
        Datastore: ['name', 'summary'],
        DistributedVirtualPortgroup: ['name', 'config.defaultPortConfig', 'config.numPorts'],
      },
      { licenses: true },
    ),
  ]);
}, 180_000);

afterAll(async () => {
  await sim?.stop();
  await stopSharedPostgres();
});

const v = cellValue;
type Obj = PyDict;
const hosts = (): readonly PyObject[] => objectsOf(py, 'HostSystem');
/** Rows of a sheet keyed by `Host` + one more column. */
const byKey = (sheet: string, col: string): Map<string, Record<string, PyCell>> =>
  new Map(book.records(sheet).map((r) => [`${String(v(r['Host']))}|${String(v(r[col]))}`, r]));

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeAll(async () => {
    let endpointId: number;
    ({ h, endpointId } = await coreWithSimInventory(engine, sim, inv));
    // The real rules over what was synced: vcsim's hosts run no NTP daemon, for one.
    await evaluateEndpoint(h.core.store.db, endpointId, { now: new Date() });
    book = await readWithOpenpyxl(await exportRvtools(h));
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  describe('RVTools host sheets against vcsim (openpyxl vs pyVmomi)', () => {
    it('writes every host-side sheet with exactly RVTools’ headers', () => {
      for (const name of HOST_SIDE_SHEETS) {
        expect(book.sheet(name)?.headers, name).toEqual(RVTOOLS_HEADERS[name]);
      }
    });

    it('vSource and every sheet’s VI SDK UUID carry the server’s about', () => {
      const [src] = book.records('vSource');
      expect(v(src?.['API version'])).toBe(py.about['apiVersion']);
      expect(v(src?.['Build'])).toBe(py.about['build']);
      expect(v(src?.['Fullname'])).toBe(py.about['fullName']);
      for (const sheet of ['vHost', 'vNIC', 'vDatastore', 'vLicense']) {
        for (const r of book.records(sheet))
          expect(v(r['VI SDK UUID'])).toBe(py.about['instanceUuid']);
      }
    });

    it('vHost: a row per host with its hardware, BIOS, HT, power policy, DNS and counts', () => {
      const rows = new Map(book.records('vHost').map((r) => [String(v(r['Host'])), r]));
      expect(rows.size).toBe(hosts().length);
      expect(hosts().length).toBeGreaterThanOrEqual(5);
      for (const o of hosts()) {
        const r = rows.get(String(prop(o, 'name')))!;
        expect(r, String(prop(o, 'name'))).toBeDefined();
        const hw = prop(o, 'summary.hardware') as Obj;
        expect(v(r['Speed'])).toBe(hw['cpuMhz']);
        expect(v(r['# Cores'])).toBe(hw['numCpuCores']);
        expect(v(r['# Memory'])).toBe(Math.round(Number(hw['memorySize']) / MIB));
        expect(v(r['ESX Version'])).toBe(prop(o, 'summary.config.product.fullName'));
        expect(v(r['Config status'])).toBe(prop(o, 'configStatus'));
        expect(v(r['BIOS Version'])).toBe((prop(o, 'hardware.biosInfo') as Obj)['biosVersion']);
        expect(String(v(r['BIOS Date'])).slice(0, 10)).toBe(
          String((prop(o, 'hardware.biosInfo') as Obj)['releaseDate']).slice(0, 10),
        );
        const ht = prop(o, 'config.hyperThread') as Obj;
        expect(v(r['HT Available'])).toBe(ht['available']);
        expect(v(r['HT Active'])).toBe(ht['active']);
        expect(v(r['Host Power Policy'])).toBe(
          (prop(o, 'config.powerSystemInfo.currentPolicy') as Obj)['shortName'],
        );
        const dns = prop(o, 'config.network.dnsConfig') as Obj;
        expect(v(r['DNS Servers'])).toBe(list(dns['address']).join(', ') || null);
        expect(v(r['Domain'])).toBe(dns['domainName'] || null);
        expect(v(r['DHCP'])).toBe(dns['dhcp']);
        expect(v(r['# NICs'])).toBe(list(prop(o, 'config.network.pnic')).length);
        expect(v(r['# HBAs'])).toBe(list(prop(o, 'config.storageDevice.hostBusAdapter')).length);
        expect(v(r['Object ID'])).toBe(o.moid);
      }
    });

    it('vNIC: every physical NIC with driver, speed, duplex, MAC and switch', () => {
      const rows = byKey('vNIC', 'Network Device');
      let n = 0;
      for (const o of hosts()) {
        const switchOf = new Map<string, string>();
        for (const vs of list(prop(o, 'config.network.vswitch')))
          for (const k of list(vs['pnic'])) switchOf.set(String(k), String(vs['name']));
        for (const p of list(prop(o, 'config.network.pnic'))) {
          n++;
          const r = rows.get(`${String(prop(o, 'name'))}|${String(p['device'])}`)!;
          expect(r, String(p['device'])).toBeDefined();
          const speed = p['linkSpeed'] as Obj | undefined;
          expect(v(r['Driver'])).toBe(p['driver']);
          expect(v(r['Speed'])).toBe(speed?.['speedMb'] ?? null);
          expect(v(r['Duplex'])).toBe(speed?.['duplex'] ?? null);
          expect(v(r['MAC'])).toBe(p['mac']);
          expect(v(r['PCI'])).toBe(p['pci']);
          expect(v(r['Switch'])).toBe(switchOf.get(String(p['key'])) ?? null);
        }
      }
      expect(n).toBeGreaterThan(0);
      expect(rows.size).toBe(n);
    });

    it('vHBA: every host bus adapter with its type, model, driver and status', () => {
      const rows = byKey('vHBA', 'Device');
      let n = 0;
      for (const o of hosts()) {
        for (const a of list(prop(o, 'config.storageDevice.hostBusAdapter'))) {
          n++;
          const r = rows.get(`${String(prop(o, 'name'))}|${String(a['device'])}`)!;
          expect(r, String(a['device'])).toBeDefined();
          expect(v(r['Model'])).toBe(a['model']);
          expect(v(r['Driver'])).toBe(a['driver']);
          expect(v(r['Status'])).toBe(a['status']);
          expect(v(r['Bus'])).toBe(a['bus']);
          // pyVmomi's type name (BlockHba, ParallelScsiHba) without the Hba suffix.
          expect(v(r['Type'])).toBe(String(a['_type']).replace(/Hba$/, ''));
        }
      }
      expect(n).toBeGreaterThan(0);
      expect(rows.size).toBe(n);
    });

    it('vSC_VMK: every VMkernel adapter with port group, IP, netmask and MTU', () => {
      const rows = byKey('vSC_VMK', 'Device');
      let n = 0;
      for (const o of hosts()) {
        for (const k of list(prop(o, 'config.network.vnic'))) {
          n++;
          const r = rows.get(`${String(prop(o, 'name'))}|${String(k['device'])}`)!;
          expect(r, String(k['device'])).toBeDefined();
          const spec = k['spec'] as Obj;
          const ip = spec['ip'] as Obj;
          expect(v(r['Port Group'])).toBe(k['portgroup']);
          expect(v(r['IP Address'])).toBe(ip['ipAddress'] ?? null);
          expect(v(r['Subnet mask'])).toBe(ip['subnetMask'] ?? null);
          expect(v(r['DHCP'])).toBe(ip['dhcp']);
          expect(v(r['MTU'])).toBe(spec['mtu']);
          expect(v(r['Mac Address'])).toBe(spec['mac']);
        }
      }
      expect(n).toBeGreaterThan(0);
      expect(rows.size).toBe(n);
    });

    it('vSwitch and vPort: the standard switches and their port groups, per host', () => {
      const switches = byKey('vSwitch', 'Switch');
      const ports = byKey('vPort', 'Port Group');
      let ns = 0;
      let np = 0;
      for (const o of hosts()) {
        const host = String(prop(o, 'name'));
        for (const s of list(prop(o, 'config.network.vswitch'))) {
          ns++;
          const r = switches.get(`${host}|${String(s['name'])}`)!;
          expect(r).toBeDefined();
          expect(v(r['# Ports'])).toBe((s['spec'] as Obj)['numPorts']);
          expect(v(r['Free Ports'])).toBe(s['numPortsAvailable']);
          expect(v(r['MTU'])).toBe(s['mtu']);
          const team = ((s['spec'] as Obj)['policy'] as Obj)['nicTeaming'] as Obj;
          expect(v(r['Policy'])).toBe(team['policy']);
        }
        for (const g of list(prop(o, 'config.network.portgroup'))) {
          np++;
          const spec = g['spec'] as Obj;
          const r = ports.get(`${host}|${String(spec['name'])}`)!;
          expect(r).toBeDefined();
          expect(v(r['Switch'])).toBe(spec['vswitchName']);
          expect(v(r['VLAN'])).toBe(spec['vlanId']);
        }
      }
      expect(ns).toBeGreaterThan(0);
      expect(np).toBeGreaterThan(ns);
      expect(switches.size).toBe(ns);
      expect(ports.size).toBe(np);
    });

    it('vMultiPath: every LUN with its policy and paths', () => {
      const rows = book.records('vMultiPath');
      let n = 0;
      for (const o of hosts()) {
        const mp = prop(o, 'config.storageDevice.multipathInfo') as Obj | undefined;
        const luns = new Map(
          list(prop(o, 'config.storageDevice.scsiLun')).map((l) => [String(l['key']), l]),
        );
        for (const lun of list(mp?.['lun'])) {
          n++;
          const scsi = luns.get(String(lun['lun']))!;
          const r = rows.find(
            (x) => v(x['Host']) === prop(o, 'name') && v(x['Disk']) === scsi['canonicalName'],
          )!;
          expect(r, String(scsi['canonicalName'])).toBeDefined();
          expect(v(r['Policy'])).toBe((lun['policy'] as Obj)['policy']);
          const paths = list(lun['path']);
          expect(v(r['Path 1'])).toBe(paths[0]?.['name'] ?? null);
          expect(v(r['Path 1 state'])).toBe(paths[0]?.['pathState'] ?? null);
          expect(v(r['Display name'])).toBe(scsi['displayName']);
          expect(v(r['UUID'])).toBe(scsi['uuid']);
        }
      }
      expect(n).toBeGreaterThan(0);
      expect(rows).toHaveLength(n);
    });

    it('vLicense: each license with its key masked as RVTools masks it', () => {
      const rows = book.records('vLicense');
      expect(rows).toHaveLength(py.licenses?.length ?? -1);
      for (const l of py.licenses ?? []) {
        const key = String(l['licenseKey']);
        const r = rows.find((x) => v(x['Name']) === l['name'])!;
        expect(r).toBeDefined();
        const groups = key.split('-');
        expect(v(r['Key'])).toBe(
          groups.map((g, i) => (i === groups.length - 1 ? g : '*'.repeat(g.length))).join('-'),
        );
        expect(v(r['Total'])).toBe(l['total']);
        expect(v(r['Cost Unit']) ?? '').toBe(l['costUnit'] ?? '');
      }
    });

    it('vHealth: a row per open alert, with its object, message and rule', async () => {
      const open = await h.core.store.db
        .selectFrom('alert')
        .select(['rule', 'entity_name as name', 'message'])
        .where('state', '<>', 'cleared')
        .orderBy('raised_at')
        .orderBy('id')
        .execute();
      expect(open.length).toBeGreaterThan(0);
      expect(
        book.records('vHealth').map((r) => ({
          rule: v(r['Message type']),
          name: v(r['Name']),
          message: v(r['Message']),
        })),
      ).toEqual(open);
    });

    it('vCluster, vRP, vDatastore and dvPort in RVTools’ units and forms', () => {
      const clusters = py.objects['ClusterComputeResource'] ?? [];
      const cl = new Map(book.records('vCluster').map((r) => [String(v(r['Name'])), r]));
      expect(cl.size).toBe(clusters.length);
      for (const c of clusters) {
        const s = prop(c, 'summary') as Obj;
        const r = cl.get(String(prop(c, 'name')))!;
        expect(v(r['TotalMemory'])).toBe(Math.round(Number(s['totalMemory']) / MIB));
        expect(v(r['NumHosts'])).toBe(s['numHosts']);
        expect(v(r['NumCpuCores'])).toBe(s['numCpuCores']);
        expect(v(r['TotalCpu'])).toBe(s['totalCpu']);
      }

      const pools = py.objects['ResourcePool'] ?? [];
      const rp = new Map(book.records('vRP').map((r) => [String(v(r['Object ID'])), r]));
      expect(rp.size).toBe(pools.length);
      for (const p of pools) {
        const r = rp.get(p.moid)!;
        const cpu = prop(p, 'config.cpuAllocation') as Obj;
        const mem = prop(p, 'config.memoryAllocation') as Obj;
        expect(v(r['CPU limit'])).toBe(cpu['limit']);
        expect(v(r['CPU reservation'])).toBe(cpu['reservation']);
        expect(v(r['Mem reservation'])).toBe(mem['reservation']);
        expect(v(r['CPU level'])).toBe((cpu['shares'] as Obj)['level']);
      }

      const stores = py.objects['Datastore'] ?? [];
      const ds = new Map(book.records('vDatastore').map((r) => [String(v(r['Object ID'])), r]));
      expect(ds.size).toBe(stores.length);
      for (const d of stores) {
        const s = prop(d, 'summary') as Obj;
        const r = ds.get(d.moid)!;
        expect(v(r['Capacity MiB'])).toBe(Math.round(Number(s['capacity']) / MIB));
        expect(v(r['Free MiB'])).toBe(Math.round(Number(s['freeSpace']) / MIB));
        expect(v(r['Accessible'])).toBe(s['accessible']);
      }

      const pgs = py.objects['DistributedVirtualPortgroup'] ?? [];
      const dv = new Map(book.records('dvPort').map((r) => [String(v(r['Object ID'])), r]));
      expect(dv.size).toBe(pgs.length);
      for (const g of pgs) {
        const vlan = (prop(g, 'config.defaultPortConfig') as Obj)['vlan'] as Obj;
        const r = dv.get(g.moid)!;
        // A VLAN id is a number; a trunk its ranges, as RVTools writes them.
        const want = Array.isArray(vlan['vlanId'])
          ? list(vlan['vlanId'])
              .map((x) => `${String(x['start'])}-${String(x['end'])}`)
              .join(',')
          : vlan['vlanId'];
        expect(v(r['VLAN'])).toBe(want);
        expect(v(r['# Ports'])).toBe(prop(g, 'config.numPorts'));
      }
    });
  });

  describe('RVTools export → import round trip against vcsim: licenses and the server', () => {
    it('imports vLicense and vSource: the licenses diff empty against the live inventory and the endpoint keeps the facts pyVmomi reads', async () => {
      const snap = await h.call('snapshots:import', {
        file: join(h.dir, 'rvtools.xlsx'),
        format: 'rvtools',
      });
      const licenses = py.licenses ?? [];
      expect(licenses.length).toBeGreaterThan(0);
      expect(snap.counts['license']).toBe(licenses.length);
      const diff = await h.call('snapshots:diff', { from: snap.id, to: 'now', types: ['license'] });
      expect(diff.entries).toEqual([]);

      // vSource: the imported endpoint carries ServiceContent.about as pyVmomi reads it.
      const [row] = (
        await sql<{
          endpoints: string;
        }>`SELECT endpoints FROM snapshot_set WHERE id = ${snap.id}`.execute(h.core.store.db)
      ).rows;
      const eps = JSON.parse(row!.endpoints) as { host: string; about: Obj | null }[];
      const ep = eps.find((e) => e.host === sim.host);
      const a = py.about;
      expect(ep?.about).toEqual({
        name: a['name'],
        fullName: a['fullName'],
        vendor: a['vendor'],
        version: a['version'],
        build: a['build'],
        osType: a['osType'],
        productLineId: a['productLineId'],
        apiType: a['apiType'],
        apiVersion: a['apiVersion'],
        instanceUuid: a['instanceUuid'],
      });
    });
  });
});
