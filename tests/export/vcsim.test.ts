import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import XLSX from 'xlsx';
import type { DiffEntry } from '../../src/shared/export.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { addSimEndpoint, openDriver, syncSimOnce } from '../vsphere/helpers.js';
import { openLiveStoreSource } from '../../src/core/export/capability.js';
import { readJsonSnapshot, writeJsonSnapshot } from '../../src/core/export/json-snapshot.js';
import { readWithPyvmomi } from '../helpers/python-readers.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import type { SimDriver } from '../vsphere/helpers.js';

afterAll(stopSharedPostgres);

describe.each(ENGINES)(
  'vcsim end to end on a %s store: export, snapshot, change, diff',
  (engine) => {
    // Each engine gets its own simulator: the tests below power off and rename a VM in it.
    let sim: Vcsim;
    let driver: SimDriver;
    let h: CoreHarness;
    let endpointId: number;

    async function syncOnce(): Promise<void> {
      await syncSimOnce(h.core.store.db, sim, endpointId);
    }

    beforeAll(async () => {
      sim = await startVcsim({ dc: 1, cluster: 1, host: 2, standaloneHost: 1, vm: 2, ds: 2 });
      driver = await openDriver(sim);
      h = await makeCore({ memory: false, store: await testStoreLocation(engine) });
      endpointId = await addSimEndpoint(h.core.store.db, sim);
      await syncOnce();
    });

    afterAll(async () => {
      await h?.close();
      await driver?.close();
      await sim?.stop();
    });

    it("exports an RVTools workbook whose vInfo rows are vcsim's VMs", async () => {
      const file = join(h.dir, 'vcsim.xlsx');
      await h.call('export:run', { format: 'xlsx', out: file });
      const wb = XLSX.readFile(file);
      const rows = XLSX.utils.sheet_to_json<Record<string, unknown>>(wb.Sheets['vInfo']!);
      const vms = await driver.list('VirtualMachine');
      expect(vms.length).toBeGreaterThan(3);
      expect(rows.map((r) => r['VM']).sort()).toEqual(vms.map((v) => v.name).sort());
      expect(rows.map((r) => r['VM ID']).sort()).toEqual(vms.map((v) => v.ref.value).sort());
      for (const r of rows) {
        expect(r['Powerstate']).toBe('poweredOn');
        expect(r['VI SDK Server']).toBe(sim.host);
        expect(r['Host']).toMatch(/\S/);
        expect(r['CPUs']).toBeGreaterThan(0);
        expect(r['Memory']).toBeGreaterThan(0);
        expect(r['Disks']).toBe(1);
      }
      const hosts = await driver.list('HostSystem');
      const vHost = XLSX.utils.sheet_to_json<Record<string, unknown>>(wb.Sheets['vHost']!);
      expect(vHost.map((r) => r['Host']).sort()).toEqual(hosts.map((x) => x.name).sort());
      const ds = await driver.list('Datastore');
      const vDatastore = XLSX.utils.sheet_to_json<Record<string, unknown>>(
        wb.Sheets['vDatastore']!,
      );
      expect(vDatastore.map((r) => r['Name']).sort()).toEqual(ds.map((x) => x.name).sort());
    });

    it('a snapshot taken before powering off and renaming a VM diffs against now with exactly those changes', async () => {
      const before = await h.call('snapshots:save', { label: 'before' });
      const vms = await driver.list('VirtualMachine');
      const target = vms.find((v) => v.name === 'DC0_H0_VM0') ?? vms[0]!;
      await driver.powerOff(target.ref);
      await driver.rename(target.ref, 'renamed-by-test');
      await syncOnce();

      const diff = await h.call('snapshots:diff', { from: before.id, to: 'now' });
      expect(diff.summary).toEqual({
        vm: { added: 0, removed: 0, changed: 1 },
        host: { added: 0, removed: 0, changed: 0 },
        datastore: { added: 0, removed: 0, changed: 0 },
        network: { added: 0, removed: 0, changed: 0 },
      });
      const [entry] = diff.entries as DiffEntry[];
      expect(entry).toMatchObject({
        type: 'vm',
        id: target.ref.value,
        name: 'renamed-by-test',
        change: 'changed',
        endpoint: 'vcsim',
      });
      expect(entry!.fields).toEqual([
        { field: 'name', old: target.name, new: 'renamed-by-test' },
        { field: 'powerState', old: 'poweredOn', new: 'poweredOff' },
      ]);

      const file = join(h.dir, 'after.xlsx');
      await h.call('export:run', { format: 'xlsx', out: file });
      const rows = XLSX.utils.sheet_to_json<Record<string, unknown>>(
        XLSX.readFile(file).Sheets['vInfo']!,
      );
      const row = rows.find((r) => r['VM ID'] === target.ref.value)!;
      expect(row['VM']).toBe('renamed-by-test');
      expect(row['Powerstate']).toBe('poweredOff');
    });

    it("keeps what the server says it is (pyVmomi's ServiceContent.about) on the endpoint, through a JSON snapshot", async () => {
      const py = await readWithPyvmomi(sim, {});
      const want = {
        name: py.about['name'],
        fullName: py.about['fullName'],
        vendor: py.about['vendor'],
        version: py.about['version'],
        build: py.about['build'],
        osType: py.about['osType'],
        productLineId: py.about['productLineId'],
        apiType: 'VirtualCenter',
        apiVersion: py.about['apiVersion'],
        instanceUuid: py.about['instanceUuid'],
        licenseProductName: py.about['licenseProductName'],
        licenseProductVersion: py.about['licenseProductVersion'],
      };
      expect(want.instanceUuid).toMatch(/^[0-9a-f-]{36}$/);
      const source = await openLiveStoreSource(h.core.store);
      try {
        expect(source.endpoints.map((e) => e.about)).toEqual([want]);
        const file = join(h.dir, 'about.json.gz');
        await writeJsonSnapshot(source, file, { appVersion: 'test' });
        const back = await readJsonSnapshot(file);
        expect(back.endpoints.map((e) => e.about)).toEqual([want]);
      } finally {
        source.close();
      }
    });
  },
);
