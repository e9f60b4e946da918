import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as queryRun } from '../../src/cli/commands/query.js';
import { INTERRUPTED_EXIT, runCli } from '../../src/cli/main.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { logFile } from '../../src/core/log-file.js';
import { capturedIo, cliContext } from '../doubles/cli-context.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, addEndpoint, sampleInventory, testStoreLocation } from '../helpers/store.js';

/* What reaches the terminal: inventory text inert, one readable line per failure, Ctrl-C 130. */

afterAll(stopSharedPostgres);

const HOSTILE =
  'evil\u001b]52;c;cm0gLXJmIH4v\u0007-vm\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202eexe.txt';

// eslint-disable-next-line no-control-regex -- looking for control characters
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describe.each(ENGINES)('inventory text on the terminal (%s store)', (engine) => {
  let h: CoreHarness;
  beforeEach(async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
    const endpointId = await addEndpoint(h.core.store.db, 'vc-lab');
    const entities = sampleInventory(3).map((e) =>
      e.type === 'vm' && e.id === 'vm-1' ? { ...e, name: HOSTILE } : e,
    );
    await writeFullInventory(
      h.core.store.db,
      { entities },
      { endpointId, syncRunId: null, now: new Date() },
    );
  });
  afterEach(async () => {
    await h.close();
  });

  it('prints a VM named with escape sequences inert through infrascope query', async () => {
    const c = cliContext(h.core);
    expect(await queryRun(c.ctx, ['vms', '--sort', 'name'])).toBe(0);
    expect(c.out()).toContain('evil-vmexe.txt');
    expect(c.out()).not.toMatch(CONTROL);
    expect(c.err()).not.toMatch(CONTROL);
    // The data formats keep the value; JSON escapes every control character as text.
    const json = cliContext(h.core);
    expect(await queryRun(json.ctx, ['vms', '--json'])).toBe(0);
    expect(json.out()).not.toMatch(CONTROL);
    expect(json.out()).toContain('\\u001b]52;c;');
  });
});

const io = capturedIo;

describe.each(ENGINES)('failures and interruptions on the terminal (%s store)', (engine) => {
  let dir: string;
  /** The store as a CLI process finds it: none set (the data directory's file), or a team store. */
  let storeEnv: Record<string, string>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'infrascope-term-'));
    const url = await testStoreLocation(engine);
    storeEnv =
      url === undefined
        ? {}
        : { INFRASCOPE_STORE: url, INFRASCOPE_STORE_KEY: randomBytes(32).toString('base64') };
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints one readable line for a failing sync and no JSON log line; the log file has it', async () => {
    const add = io();
    const env = { VC_PASSWORD: 'not-a-secret-anyone-needs' };
    expect(
      await runCli(
        [
          '--data-dir',
          dir,
          'endpoint',
          'add',
          'vc-closed',
          '--type',
          'vcenter',
          // A closed port on this machine: refused at once.
          '--host',
          '127.0.0.1:1',
          '--username',
          'u',
          '--password-env',
          'VC_PASSWORD',
          '--trust-on-first-use',
        ],
        { ...add, env: { ...env, ...storeEnv } },
      ),
    ).toBe(0);
    const x = io();
    expect(await runCli(['--data-dir', dir, 'sync', 'vc-closed'], { ...x, env: storeEnv })).toBe(1);
    const lines = x.stdout().trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^✗ vc-closed: .+ \[[A-Z_]+\]$/)]);
    for (const text of [x.stdout(), x.stderr()]) {
      expect(text).not.toContain('"level"');
      expect(text).not.toMatch(/^\{/m);
    }
    expect(readFileSync(logFile(dir, 'cli'), 'utf8')).toMatch(/"level":(40|50)/);
  });

  it('exits 130 after Ctrl-C', async () => {
    const controller = new AbortController();
    controller.abort();
    const x = io(controller.signal);
    expect(await runCli(['--data-dir', dir, 'watch'], { ...x, env: storeEnv })).toBe(
      INTERRUPTED_EXIT,
    );
    expect(INTERRUPTED_EXIT).toBe(130);
  });
});
