import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XlsxStreamWriter } from '../../src/core/export/xlsx-writer.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { readWithOpenpyxl, readWithPyvmomi } from './python-readers.js';

/* The independent readers themselves, against what they read: vcsim's own counts, a known file. */
describe('independent readers (pyVmomi, openpyxl)', () => {
  let sim: Vcsim;
  let dir: string;
  beforeAll(async () => {
    sim = await startVcsim({ dc: 1, cluster: 1, host: 2, vm: 3 });
    dir = mkdtempSync(join(tmpdir(), 'infrascope-py-'));
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pyVmomi lists every VM vcsim simulates, with the requested paths', async () => {
    const py = await readWithPyvmomi(sim, {
      VirtualMachine: ['name', 'config.hardware.numCPU', 'runtime.host'],
    });
    const vms = py.objects['VirtualMachine'] ?? [];
    expect(vms).toHaveLength(sim.counts['VirtualMachine'] ?? -1);
    for (const vm of vms) {
      expect(vm.props['name']).toEqual(expect.any(String));
      expect(vm.props['config.hardware.numCPU']).toEqual(expect.any(Number));
      expect(vm.props['runtime.host']).toMatch(/^host-/);
    }
    expect(py.about['apiType']).toBe('VirtualCenter');
  });

  it('openpyxl reads cell types as written', async () => {
    const file = join(dir, 'x.xlsx');
    const w = new XlsxStreamWriter(file, { creator: 'test' });
    await w.begin(['S']);
    await w.startSheet('S', [
      { header: 'Text', kind: 'text' },
      { header: 'Int', kind: 'int' },
      { header: 'When', kind: 'date' },
    ]);
    await w.addRow(['a', 42, '2026-01-02T03:04:05.000Z']);
    await w.endSheet();
    await w.finish();
    const wb = await readWithOpenpyxl(file);
    expect(wb.sheets).toEqual(['S']);
    expect(wb.records('S')).toEqual([
      {
        Text: { t: 's', v: 'a' },
        Int: { t: 'n', v: 42 },
        When: { t: 'd', v: '2026-01-02T03:04:05' },
      },
    ]);
  });
});
