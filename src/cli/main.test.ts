import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capturedIo } from '../../tests/doubles/cli-context.js';
import { runCli } from './main.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infrascope-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const io = (): ReturnType<typeof capturedIo> => capturedIo();

describe('infrascope CLI', () => {
  it('prints [] for an empty store and exits 0', async () => {
    const x = io();
    expect(await runCli(['--data-dir', dir, 'query', 'vms', '--json'], x)).toBe(0);
    expect(JSON.parse(x.stdout())).toEqual([]);
  });

  it('exits 2 with a clear message on an unknown kind, field or command', async () => {
    for (const args of [
      ['query', 'planets'],
      ['query', 'vms', '--where', 'color=red'],
      ['frobnicate'],
    ]) {
      const x = io();
      expect(await runCli(['--data-dir', dir, ...args], x)).toBe(2);
      expect(x.stderr()).toMatch(/^infrascope: (Unknown kind|Unknown field|Unknown command)/);
    }
  });

  it('prints the version and the help', async () => {
    const v = io();
    expect(await runCli(['--version'], v)).toBe(0);
    expect(v.stdout()).toMatch(/^\d+\.\d+\.\d+\n$/);
    const h = io();
    expect(await runCli(['--help'], h)).toBe(0);
    expect(h.stdout()).toMatch(/Usage: infrascope/);
  });

  it('--pwsh chooses the PowerShell that Hyper-V collection starts', async () => {
    const before = process.env['NODE_POWERSHELL'];
    try {
      const x = io();
      expect(await runCli(['--pwsh', '/opt/pwsh/pwsh', '--data-dir', dir, 'query', 'vms'], x)).toBe(
        0,
      );
      expect(process.env['NODE_POWERSHELL']).toBe('/opt/pwsh/pwsh');
    } finally {
      if (before === undefined) delete process.env['NODE_POWERSHELL'];
      else process.env['NODE_POWERSHELL'] = before;
    }
  });
});
