import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import XLSX from 'xlsx';
import type { QueryRow } from '../../src/shared/query.js';
import type { ExportProgressEvent } from '../../src/shared/export.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { isEntity } from '../../src/shared/entities.js';
import { TRICKY, fillStore, richInventory } from './fixtures.js';
import {
  HOST_SIDE_SHEETS,
  VM_SHEETS,
  RVTOOLS_HEADERS,
  RVTOOLS_SHEETS,
  isSubsequence,
} from './rvtools-reference.js';

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  let h: CoreHarness;
  let file: string;
  let wb: XLSX.WorkBook;
  let progress: ExportProgressEvent[];

  function sheetRows(name: string): Record<string, unknown>[] {
    return XLSX.utils.sheet_to_json<Record<string, unknown>>(wb.Sheets[name]!, { defval: null });
  }
  function headers(name: string): string[] {
    const rows = XLSX.utils.sheet_to_json<string[]>(wb.Sheets[name]!, { header: 1 });
    return (rows[0] ?? []).map(String);
  }

  beforeAll(async () => {
    // File-backed: the export reads through its own read-only connection.
    h = await makeCore({ memory: false, store: await testStoreLocation(engine) });
    await fillStore(h.core.store.db);
    file = join(h.dir, 'inventory.xlsx');
    progress = [];
    const off = h.core.events.subscribe((event, payload) => {
      if (event === 'export:progress') progress.push(payload as ExportProgressEvent);
    });
    await h.call('export:run', { format: 'xlsx', out: file });
    off();
    wb = XLSX.readFile(file, { cellFormula: true, cellNF: true, cellDates: false });
  });

  afterAll(async () => {
    await h.close();
  });

  describe('XLSX export shaped like RVTools', () => {
    it('has RVTools sheets in RVTools order, for the data we hold', () => {
      expect(wb.SheetNames).toEqual([
        'vInfo',
        'vCPU',
        'vMemory',
        'vDisk',
        'vPartition',
        'vNetwork',
        'vCD',
        'vUSB',
        'vSnapshot',
        'vTools',
        'vSource',
        'vRP',
        'vCluster',
        'vHost',
        'vHBA',
        'vNIC',
        'vSwitch',
        'vPort',
        'dvSwitch',
        'dvPort',
        'vSC_VMK',
        'vDatastore',
        'vMultiPath',
        'vLicense',
        'vFileInfo',
        'vHealth',
        'vMetaData',
      ]);
      expect(isSubsequence(wb.SheetNames, RVTOOLS_SHEETS)).toBe(true);
    });

    it("writes RVTools' exact headers in RVTools' order (custom attributes after Annotation)", () => {
      for (const name of wb.SheetNames) {
        const ours = headers(name);
        expect(ours.length, name).toBeGreaterThan(0);
        const reference = RVTOOLS_HEADERS[name]!;
        const complete = VM_SHEETS.includes(name);
        const known = complete ? ours.filter((x) => x !== 'Owner' && x !== 'Cost center') : ours;
        if (complete) {
          // Every RVTools column, in its order; the custom attributes right after Annotation.
          expect(known, name).toEqual(reference);
          const ann = ours.indexOf('Annotation');
          expect(ours.slice(ann + 1, ann + 3), name).toEqual(['Cost center', 'Owner']);
        } else {
          expect(isSubsequence(known, reference), `${name}: ${known.join(' | ')}`).toBe(true);
        }
      }
      // The host-side sheets are complete: every RVTools header, in order.
      for (const name of HOST_SIDE_SHEETS) {
        expect(headers(name), name).toEqual(RVTOOLS_HEADERS[name]);
      }
      const info = headers('vInfo');
      expect(info.slice(0, 3)).toEqual(['VM', 'Powerstate', 'Template']);
      for (const h of [
        'CPUs',
        'Memory',
        'NICs',
        'Disks',
        'Provisioned MiB',
        'In Use MiB',
        'Primary IP Address',
        'DNS Name',
        'Annotation',
        'Datacenter',
        'Cluster',
        'Host',
        'Folder',
        'Resource pool',
        'OS according to the configuration file',
        'OS according to the VMware Tools',
        'VM ID',
        'VM UUID',
        'VI SDK Server',
      ]) {
        expect(info, h).toContain(h);
      }
      const ann = info.indexOf('Annotation');
      expect(info.slice(ann + 1, ann + 3)).toEqual(['Cost center', 'Owner']);
      expect(info[ann + 3]).toBe('Datacenter');
    });

    it('carries the values of the store in vInfo', async () => {
      const vms = await h.call('inventory:query', { kind: 'vms', limit: 1000 });
      const rows = sheetRows('vInfo');
      expect(rows).toHaveLength(vms.total);
      const byId = new Map(rows.map((r) => [String(r['VM ID']), r]));
      for (const vm of vms.rows as QueryRow[]) {
        const r = byId.get(String(vm['id']))!;
        expect(r, String(vm['id'])).toBeDefined();
        expect(r['VM']).toBe(vm['name']);
        expect(r['Powerstate']).toBe(vm['powerState']);
        expect(r['Template']).toBe(vm['isTemplate'] ? 'True' : 'False');
        expect(r['CPUs']).toBe(vm['cpuCount']);
        expect(r['Memory']).toBe(vm['memoryMb']);
        expect(r['Primary IP Address']).toBe(vm['ipAddress']);
        expect(r['Host']).toBe(vm['host']);
        expect(r['Cluster']).toBe(vm['cluster']);
        expect(r['Datacenter']).toBe(vm['datacenter']);
        expect(r['Annotation'] ?? null).toBe(vm['annotation'] ?? null);
        expect(r['DNS Name'] ?? null).toBe(vm['guestHostname'] ?? null);
        expect(r['VI SDK Server']).toBe('vc1.example.test');
        expect(r['VI SDK Server type']).toBe('VirtualCenter');
        expect(r['Total disk capacity MiB']).toBe(40 * 1024);
        const provisioned = vm['provisionedBytes'];
        expect(r['Provisioned MiB'] ?? null).toBe(
          typeof provisioned === 'number' ? Math.round(provisioned / 2 ** 20) : null,
        );
      }
      const app1 = rows.find((r) => r['VM'] === 'app-001')!;
      expect(app1['Owner']).toBe('alice');
      expect(app1['Cost center']).toBe('42');
      expect(app1['Network #1']).toBe('VM Network');
      expect(app1['Folder']).toBe('/DC0/vm/Prod');
    });

    it('fills the other sheets from the store', async () => {
      const hosts = await h.call('inventory:query', { kind: 'hosts' });
      const vHost = sheetRows('vHost');
      expect(vHost.map((r) => r['Host']).sort()).toEqual(hosts.rows.map((r) => r['name']).sort());
      const esx1 = vHost.find((r) => r['Host'] === 'esx1.example.test')!;
      expect(esx1['# Cores']).toBe(16);
      expect(esx1['# Memory']).toBe(256 * 1024);
      expect(esx1['Cluster']).toBe('Cluster A');
      const vms = await h.call('inventory:query', {
        kind: 'vms',
        where: [{ field: 'host', op: '=', value: 'esx1.example.test' }],
        limit: 0,
      });
      expect(esx1['# VMs total']).toBe(vms.total);
      // The host's running VMs' memory quick stats (MiB), summed from the fixture's own values.
      const running = richInventory()
        .filter(isEntity('vm'))
        .filter((v) => v.fields.hostId === 'host-1' && v.fields.powerState === 'poweredOn');
      const sum = (f: 'memoryConsumedMb' | 'memorySwappedMb' | 'memoryBalloonedMb'): number =>
        running.reduce((n, v) => n + (v.fields[f] ?? 0), 0);
      expect(sum('memoryConsumedMb')).toBeGreaterThan(0);
      expect(esx1['VM Used memory']).toBe(sum('memoryConsumedMb'));
      expect(esx1['VM Memory Swapped']).toBe(sum('memorySwappedMb'));
      expect(esx1['VM Memory Ballooned']).toBe(sum('memoryBalloonedMb'));

      const ds = sheetRows('vDatastore');
      const gold = ds.find((r) => r['Name'] === 'ds-gold')!;
      expect(gold['Type']).toBe('VMFS');
      expect(gold['Capacity MiB']).toBe(0); // 1000 bytes
      expect(gold['Free %']).toBe(25);
      expect(gold['Hosts']).toBe('esx1.example.test, esx2.example.test');

      expect(sheetRows('vDisk')).toHaveLength(
        (await h.call('inventory:query', { kind: 'disks', limit: 0 })).total,
      );
      const nics = sheetRows('vNetwork');
      expect(nics).toHaveLength(
        (await h.call('inventory:query', { kind: 'nics', limit: 0 })).total,
      );
      expect(nics[0]!['IPv6 Address']).toBe('fe80::1');
      const snap = sheetRows('vSnapshot');
      expect(snap).toEqual([expect.objectContaining({ VM: 'app-001', Name: 'before upgrade' })]);
      expect(sheetRows('dvPort')).toEqual([
        // RVTools' VLAN form: the id as a number, never as text.
        expect.objectContaining({ Port: 'PG-App', Switch: 'DSwitch-1', VLAN: 120 }),
      ]);
      // A store without switch entities lists the switch its port groups name.
      const [dvs] = sheetRows('dvSwitch');
      expect(dvs!['Host members']).toBe('esx1.example.test, esx2.example.test');
      expect(dvs!['# VMs']).toBe(
        richInventory()
          .filter(isEntity('vm'))
          .filter((v) => v.fields.networkIds?.includes('dvportgroup-10')).length,
      );
      expect(sheetRows('vMetaData')[0]!['RVTools major version']).toBe(4);
      expect(sheetRows('vSource')[0]!['Name']).toBe('vc1.example.test');
    });

    it('writes formula-like and non-ASCII names as text, never as formulas', () => {
      const ws = wb.Sheets['vInfo']!;
      const names = new Map<string, XLSX.CellObject>();
      for (const [ref, cell] of Object.entries(ws)) {
        if (ref.startsWith('A') && typeof (cell as XLSX.CellObject).v === 'string')
          names.set(String((cell as XLSX.CellObject).v), cell as XLSX.CellObject);
      }
      for (const name of Object.values(TRICKY)) {
        const cell = names.get(name);
        expect(cell, name).toBeDefined();
        expect(cell!.t).toBe('s');
        expect(cell!.f).toBeUndefined();
      }
      for (const cell of Object.values(ws)) expect((cell as XLSX.CellObject).f).toBeUndefined();
    });

    it('has a frozen header row, an auto-filter, widths and number formats (read with exceljs)', async () => {
      const book = new ExcelJS.Workbook();
      await book.xlsx.readFile(file);
      const info = book.getWorksheet('vInfo')!;
      expect(info.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(info.autoFilter).toBeTruthy();
      expect(info.getColumn(1).width).toBeGreaterThan(10);
      expect(info.getRow(1).getCell(1).font?.bold).toBe(true);
      const memCol = headers('vInfo').indexOf('Memory') + 1;
      expect(info.getRow(2).getCell(memCol).numFmt).toBe('#,##0');
      const powerOn = headers('vInfo').indexOf('PowerOn') + 1;
      const cell = info.getRow(2).getCell(powerOn);
      expect(cell.value).toBeInstanceOf(Date);
      expect((cell.value as Date).toISOString()).toBe('2026-11-20T08:00:00.000Z');
      for (const ws of book.worksheets) expect(ws.views[0]?.state, ws.name).toBe('frozen');
    });

    it('reports progress with real counts and leaves no temp file', () => {
      const running = progress.filter((p) => p.state === 'running' && p.total !== undefined);
      expect(running.length).toBeGreaterThan(0);
      const total = running.at(-1)!.total!;
      const rowSum = wb.SheetNames.reduce((s, n) => s + sheetRows(n).length, 0);
      expect(total).toBe(rowSum);
      expect(progress.at(-1)).toMatchObject({ state: 'succeeded', done: rowSum });
      expect(readdirSync(h.dir).filter((f) => f.includes('.partial'))).toEqual([]);
    });
  });

  describe('Hyper-V rows in the same workbook', () => {
    it('names the Hyper-V endpoint in VI SDK Server and lists its virtual switches in vSwitch', async () => {
      const hv = await makeCore({ store: await testStoreLocation(engine) });
      try {
        await fillStore(hv.core.store.db);
        const now = new Date().toISOString();
        const endpointId = (
          await hv.core.store.db
            .insertInto('endpoint')
            .values({
              name: 'hv1',
              kind: 'hyperv',
              host: 'hv1.corp.example',
              port: 5985,
              username: 'CORP\\reader',
              created_at: now,
              updated_at: now,
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
        const { writeFullInventory } = await import('../../src/core/inventory/writer.js');
        await writeFullInventory(
          hv.core.store.db,
          {
            entities: [
              { type: 'datacenter', id: 'hyperv', name: 'Hyper-V', fields: {} },
              {
                type: 'host',
                id: 'node-1',
                name: 'HV-NODE1',
                fields: { datacenterId: 'hyperv', cpuCores: 8 },
              },
              {
                type: 'network',
                id: 'switch-ext',
                name: 'External',
                fields: {
                  datacenterId: 'hyperv',
                  networkType: 'hyperv-switch',
                  switchName: 'External',
                  hostIds: ['node-1'],
                },
              },
              {
                type: 'vm',
                id: '6f1c-guid',
                name: 'hv-web-01',
                fields: {
                  datacenterId: 'hyperv',
                  hostId: 'node-1',
                  powerState: 'poweredOn',
                  cpuCount: 4,
                  memoryMb: 8192,
                  generation: 2,
                  networkIds: ['switch-ext'],
                },
              },
            ],
          },
          { endpointId, syncRunId: null, now: new Date() },
        );
        const out = join(hv.dir, 'mixed.xlsx');
        await hv.call('export:run', { format: 'xlsx', out });
        const book = XLSX.readFile(out);
        const info = XLSX.utils.sheet_to_json<Record<string, unknown>>(book.Sheets['vInfo']!);
        const row = info.find((r) => r['VM'] === 'hv-web-01')!;
        expect(row).toMatchObject({
          'VI SDK Server': 'hv1.corp.example',
          'VI SDK Server type': 'Hyper-V',
          Host: 'HV-NODE1',
          CPUs: 4,
          Memory: 8192,
          'Network #1': 'External',
          'VM ID': '6f1c-guid',
        });
        expect(info.filter((r) => r['VI SDK Server'] === 'vc1.example.test')).toHaveLength(13);
        expect(book.SheetNames.indexOf('vSwitch')).toBe(book.SheetNames.indexOf('vPort') - 1);
        expect(XLSX.utils.sheet_to_json(book.Sheets['vSwitch']!)).toEqual([
          {
            Host: 'HV-NODE1',
            Datacenter: 'Hyper-V',
            Switch: 'External',
            'VI SDK Server': 'hv1.corp.example',
          },
        ]);
        const vSource = XLSX.utils.sheet_to_json<Record<string, unknown>>(book.Sheets['vSource']!);
        expect(vSource.map((r) => r['API type']).sort()).toEqual(['Hyper-V', 'VirtualCenter']);
      } finally {
        await hv.close();
      }
    });
  });
});
