import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Dialog, OpenDialogReturnValue, SaveDialogReturnValue, Shell } from 'electron';
import { makeCore } from '../../tests/doubles/core-harness.js';
import { OWN_FRAME, STRANGER_FRAME, fakeIpc } from '../../tests/doubles/fake-ipc.js';
import type { CoreHarness } from '../../tests/doubles/core-harness.js';
import { fillStore, sheetJsWorkbook } from '../../tests/export/fixtures.js';
import { DESKTOP_CHANNELS } from '../shared/contract.js';
import type { DesktopReply } from '../shared/contract.js';
import { AppError } from '../shared/errors.js';

vi.mock('electron', () => ({
  BrowserWindow: vi.fn(),
  shell: { openExternal: vi.fn() },
  protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
  net: { fetch: vi.fn() },
}));

const { createExportLedger, registerDesktopActions } = await import('./desktop-actions.js');
const { registerIpc } = await import('./ipc.js');

const { ipc, handlers, call } = fakeIpc();
const own = OWN_FRAME;
const stranger = STRANGER_FRAME;

let h: CoreHarness;
let picked: OpenDialogReturnValue;
let saveTo: SaveDialogReturnValue;
const showOpenDialog = vi.fn<Dialog['showOpenDialog']>(() => Promise.resolve(picked));
const showSaveDialog = vi.fn<Dialog['showSaveDialog']>(() => Promise.resolve(saveTo));
const showItemInFolder = vi.fn<Shell['showItemInFolder']>();
const storeSwitch = {
  probe: vi.fn<(location: string) => Promise<unknown>>(() => Promise.resolve({ pending: 0 })),
  save: vi.fn<(location: string | null) => void>(),
  relaunch: vi.fn<() => void>(),
};

beforeEach(async () => {
  handlers.clear();
  showOpenDialog.mockClear();
  showSaveDialog.mockClear();
  showItemInFolder.mockClear();
  storeSwitch.probe.mockClear();
  storeSwitch.save.mockClear();
  storeSwitch.relaunch.mockClear();
  h = await makeCore();
  await fillStore(h.core.store.db);
  const ledger = createExportLedger();
  registerIpc(ipc, h.core, 'desktop:tester');
  registerDesktopActions(ipc, {
    core: h.core,
    dialog: { showOpenDialog, showSaveDialog } as Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>,
    shell: { showItemInFolder },
    window: () => null,
    ledger,
    actor: 'desktop:tester',
    saveFolder: () => join(h.dir, 'Documents'),
    storeSwitch,
  });
});

afterEach(async () => {
  await h.close();
});

function workbook(file: string): void {
  writeFileSync(
    file,
    sheetJsWorkbook({
      vInfo: [
        ['VM', 'CPUs', 'VM ID', 'VI SDK Server'],
        ['far-away-vm', 4, 'vm-900', 'vc9.example.test'],
      ],
    }),
  );
}

describe('import through the main-process dialog', () => {
  it('imports the file the dialog returned, and nothing when the user cancels', async () => {
    picked = { canceled: true, filePaths: [] };
    await expect(call(DESKTOP_CHANNELS.importSnapshot, own)).resolves.toEqual({
      ok: true,
      result: null,
    });
    const file = join(h.dir, 'RVTools_site9.xlsx');
    workbook(file);
    picked = { canceled: false, filePaths: [file] };
    const reply = await call(DESKTOP_CHANNELS.importSnapshot, own);
    expect(reply).toMatchObject({
      ok: true,
      result: { label: 'RVTools_site9.xlsx', readOnly: true, counts: { vm: 1 } },
    });
    expect(showOpenDialog).toHaveBeenCalledTimes(2);
    const list = await h.call('snapshots:list', {});
    expect(list.map((s) => s.endpoints)).toEqual([['vc9.example.test']]);
  });

  it('answers IMPORT_INVALID for a file that is not a snapshot, and saves nothing', async () => {
    const file = join(h.dir, 'notes.xlsx');
    writeFileSync(file, 'not a workbook');
    picked = { canceled: false, filePaths: [file] };
    await expect(call(DESKTOP_CHANNELS.importSnapshot, own)).resolves.toMatchObject({
      ok: false,
      error: { code: 'IMPORT_INVALID' },
    });
    await expect(h.call('snapshots:list', {})).resolves.toEqual([]);
  });

  it('refuses untrusted frames without opening a dialog, and path imports from the page', async () => {
    await expect(call(DESKTOP_CHANNELS.importSnapshot, stranger)).resolves.toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(showOpenDialog).not.toHaveBeenCalled();
    const file = join(h.dir, 'direct.xlsx');
    workbook(file);
    await expect(
      call('infrascope:request', own, 'snapshots:import', { file }),
    ).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await expect(h.call('snapshots:list', {})).resolves.toEqual([]);
  });
});

describe('export through the main-process save dialog', () => {
  it('writes where the user chose in the dialog, which starts at the name the page proposed', async () => {
    const out = join(h.dir, 'chosen.json.gz');
    saveTo = { canceled: false, filePath: out };
    const reply = await call(DESKTOP_CHANNELS.saveExport, own, {
      format: 'json',
      fileName: 'inventory-monday.json.gz',
    });
    expect(reply).toMatchObject({ ok: true, result: { format: 'json', file: out } });
    expect(existsSync(out)).toBe(true);
    expect(showSaveDialog).toHaveBeenCalledTimes(1);
    expect(showSaveDialog.mock.calls[0]![0]).toMatchObject({
      defaultPath: join(h.dir, 'Documents', 'inventory-monday.json.gz'),
      filters: [{ name: 'Export', extensions: ['json.gz'] }],
    });
  });

  it('writes nothing when the user cancels the dialog', async () => {
    saveTo = { canceled: true, filePath: '' };
    await expect(call(DESKTOP_CHANNELS.saveExport, own, { format: 'xlsx' })).resolves.toEqual({
      ok: true,
      result: null,
    });
    expect(readdirSync(h.dir).filter((f) => f.endsWith('.xlsx'))).toEqual([]);
  });

  it('never takes a path from the page: not as a name, not as out, not through export:run', async () => {
    const target = join(h.dir, 'page-chose-this.xlsx');
    saveTo = { canceled: false, filePath: join(h.dir, 'dialog.xlsx') };
    for (const request of [
      { format: 'xlsx', fileName: target },
      { format: 'xlsx', fileName: '../../page-chose-this.xlsx' },
      { format: 'xlsx', fileName: '..' },
      { format: 'xlsx', out: target },
    ]) {
      await expect(call(DESKTOP_CHANNELS.saveExport, own, request)).resolves.toMatchObject({
        ok: false,
        error: { code: 'VALIDATION' },
      });
    }
    expect(showSaveDialog).not.toHaveBeenCalled();
    await expect(
      call('infrascope:request', own, 'export:run', { format: 'xlsx', out: target }),
    ).resolves.toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', details: { channel: 'export:run', host: 'desktop' } },
    });
    // export:save (serve's folder export) is not the desktop page's either.
    await expect(
      call('infrascope:request', own, 'export:save', { format: 'xlsx' }),
    ).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await expect(
      call(DESKTOP_CHANNELS.saveExport, stranger, { format: 'xlsx' }),
    ).resolves.toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(showSaveDialog).not.toHaveBeenCalled();
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(h.dir).filter((f) => f.endsWith('.xlsx'))).toEqual([]);
  });
});

describe('show in folder', () => {
  it("shows only the file an export of this session wrote, found by the export's id", async () => {
    const out = join(h.dir, 'inventory.xlsx');
    saveTo = { canceled: false, filePath: out };
    const reply = (await call(DESKTOP_CHANNELS.saveExport, own, {
      format: 'xlsx',
      exportId: 'exp-1',
    })) as { ok: boolean; result: { file: string } };
    expect(reply.ok).toBe(true);
    await expect(call(DESKTOP_CHANNELS.showExportInFolder, own, 'exp-1')).resolves.toEqual({
      ok: true,
      result: { shown: true },
    });
    expect(showItemInFolder.mock.calls).toEqual([[reply.result.file]]);
    expect(reply.result.file.endsWith('inventory.xlsx')).toBe(true);

    // Another frame may not, even for a real export.
    await expect(
      call(DESKTOP_CHANNELS.showExportInFolder, stranger, 'exp-1'),
    ).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // Paths and ids main never saw an export write are refused.
    for (const id of ['/etc/passwd', out, 'exp-2', '', 42, null]) {
      await expect(call(DESKTOP_CHANNELS.showExportInFolder, own, id)).resolves.toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    }
    expect(showItemInFolder).toHaveBeenCalledTimes(1);
  });

  it('does not record a failed export, and says when the file is gone', async () => {
    saveTo = { canceled: false, filePath: join(h.dir, 'missing-folder', 'x.zip') };
    const failed = await call(DESKTOP_CHANNELS.saveExport, own, {
      format: 'csv',
      exportId: 'exp-bad',
    });
    expect(failed).toMatchObject({ ok: false });
    await expect(call(DESKTOP_CHANNELS.showExportInFolder, own, 'exp-bad')).resolves.toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    const out = join(h.dir, 'gone.json.gz');
    saveTo = { canceled: false, filePath: out };
    await call(DESKTOP_CHANNELS.saveExport, own, { format: 'json', exportId: 'exp-3' });
    rmSync(out);
    await expect(call(DESKTOP_CHANNELS.showExportInFolder, own, 'exp-3')).resolves.toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(showItemInFolder).not.toHaveBeenCalled();
  });

  it('keeps a bounded ledger of the newest exports', () => {
    const ledger = createExportLedger(2);
    ledger.record('a', '/x/a.xlsx');
    ledger.record('b', '/x/b.xlsx');
    ledger.record('c', '/x/c.xlsx');
    expect([ledger.fileOf('a'), ledger.fileOf('b'), ledger.fileOf('c')]).toEqual([
      undefined,
      '/x/b.xlsx',
      '/x/c.xlsx',
    ]);
  });
});

describe('switching the store (Settings → Store)', () => {
  const url = 'postgres://ops:s3cret@db.example.test/infrascope';

  it('checks a team store before saving it, then restarts onto it', async () => {
    vi.useFakeTimers();
    try {
      const reply = await call(DESKTOP_CHANNELS.setStore, own, url);
      expect(reply).toEqual({ ok: true, result: { restarting: true } });
      expect(storeSwitch.probe).toHaveBeenCalledWith(url);
      expect(storeSwitch.save).toHaveBeenCalledWith(url);
      // The reply goes out first; the restart follows.
      expect(storeSwitch.relaunch).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(500);
      expect(storeSwitch.relaunch).toHaveBeenCalledTimes(1);
      expect(h.logs.join('')).not.toContain('s3cret');
    } finally {
      vi.useRealTimers();
    }
  });

  it('saves nothing and stays when the team store does not answer', async () => {
    storeSwitch.probe.mockRejectedValueOnce(
      new AppError(
        'STORE_UNREACHABLE',
        'Cannot connect: no PostgreSQL answers at db.example.test:5432',
      ),
    );
    const reply = (await call(DESKTOP_CHANNELS.setStore, own, url)) as DesktopReply<unknown>;
    expect(reply).toMatchObject({ ok: false, error: { code: 'STORE_UNREACHABLE' } });
    expect(storeSwitch.save).not.toHaveBeenCalled();
    expect(storeSwitch.relaunch).not.toHaveBeenCalled();
  });

  it('goes back to the local store without a check', async () => {
    vi.useFakeTimers();
    try {
      expect(await call(DESKTOP_CHANNELS.setStore, own, null)).toMatchObject({ ok: true });
      expect(storeSwitch.probe).not.toHaveBeenCalled();
      expect(storeSwitch.save).toHaveBeenCalledWith(null);
      await vi.advanceTimersByTimeAsync(500);
      expect(storeSwitch.relaunch).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses untrusted frames, a file path and anything that is not a URL, touching nothing', async () => {
    expect(await call(DESKTOP_CHANNELS.setStore, stranger, url)).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    for (const bad of ['/home/me/other.db', 'x'.repeat(3000), 42, '']) {
      expect(await call(DESKTOP_CHANNELS.setStore, own, bad)).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION' },
      });
    }
    expect(storeSwitch.probe).not.toHaveBeenCalled();
    expect(storeSwitch.save).not.toHaveBeenCalled();
    expect(storeSwitch.relaunch).not.toHaveBeenCalled();
  });
});
