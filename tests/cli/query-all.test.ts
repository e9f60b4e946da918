import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as queryRun } from '../../src/cli/commands/query.js';
import { createCliContext } from '../../src/cli/context.js';
import { QUERY_WINDOW } from '../../src/cli/query-windows.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { cliContext } from '../doubles/cli-context.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, addEndpoint, sampleInventory, testStoreLocation } from '../helpers/store.js';

/* `infrascope query` gives every row it is asked for, across the core's windows, streamed. */

afterAll(stopSharedPostgres);

// More than two windows and a part of a third.
const VMS = QUERY_WINDOW * 2 + 537;

/** The VM numbers `vm-N` of a JSON listing, in its order. */
function numbers(rows: readonly { id: string }[]): number[] {
  return rows.map((r) => Number(r.id.replace('vm-', '')));
}

/** Parses CSV as this CLI writes it (no field of these rows holds a comma, quote or newline). */
function csvRecords(text: string): string[][] {
  expect(text.endsWith('\r\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\r\n')
    .map((line) => line.split(','));
}

describe.each(ENGINES)('infrascope query past one window on a %s store', (engine) => {
  let h: CoreHarness;
  beforeAll(async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
    const endpointId = await addEndpoint(h.core.store.db, 'vc-big');
    await writeFullInventory(
      h.core.store.db,
      { entities: sampleInventory(VMS) },
      { endpointId, syncRunId: null, now: new Date() },
    );
  }, 120_000);
  afterAll(async () => {
    await h.close();
  });

  const ascending = (from: number, count: number): number[] =>
    Array.from({ length: count }, (_, i) => from + i);

  it('--json without --limit returns every row, in order, each once, as one JSON array', async () => {
    const c = cliContext(h.core);
    // Memory grows with the VM number: sorting by it gives an order known without the store.
    expect(await queryRun(c.ctx, ['vms', '--sort', 'memoryMb', '--json'])).toBe(0);
    const rows = JSON.parse(c.out()) as { id: string; memoryMb: number }[];
    expect(rows).toHaveLength(VMS);
    expect(numbers(rows)).toEqual(ascending(1, VMS));
    expect(rows[VMS - 1]!.memoryMb).toBe(1024 * VMS);
  });

  it('--json prints exactly what one JSON.stringify of the rows prints', async () => {
    const all = cliContext(h.core);
    expect(await queryRun(all.ctx, ['vms', '--sort', 'memoryMb:desc', '--json'])).toBe(0);
    const rows: unknown = JSON.parse(all.out());
    expect(all.out()).toBe(JSON.stringify(rows, null, 2) + '\n');
    const none = cliContext(h.core);
    expect(await queryRun(none.ctx, ['vms', '--where', 'name=nothing', '--json'])).toBe(0);
    expect(none.out()).toBe('[]\n');
  });

  it('--json by the default sort (name) returns every VM once', async () => {
    const c = cliContext(h.core);
    expect(await queryRun(c.ctx, ['vms', '--json'])).toBe(0);
    const ids = numbers(JSON.parse(c.out()) as { id: string }[]);
    expect(ids).toHaveLength(VMS);
    expect(new Set(ids).size).toBe(VMS);
    expect([...ids].sort((a, b) => a - b)).toEqual(ascending(1, VMS));
  });

  it('--csv without --limit returns a header and every row, in order, each once', async () => {
    const c = cliContext(h.core);
    expect(await queryRun(c.ctx, ['vms', '--sort', 'memoryMb', '--csv'])).toBe(0);
    const [header, ...records] = csvRecords(c.out());
    const id = header!.indexOf('id');
    const memory = header!.indexOf('memoryMb');
    expect(id).toBeGreaterThanOrEqual(0);
    expect(records).toHaveLength(VMS);
    expect(records.map((r) => Number(r[id]!.replace('vm-', '')))).toEqual(ascending(1, VMS));
    expect(records.map((r) => Number(r[memory]))).toEqual(ascending(1, VMS).map((i) => 1024 * i));
  });

  it('--limit above a window returns exactly that many rows, from --offset on', async () => {
    const limit = QUERY_WINDOW + 250;
    const json = cliContext(h.core);
    expect(
      await queryRun(json.ctx, ['vms', '--sort', 'memoryMb', '--limit', String(limit), '--json']),
    ).toBe(0);
    expect(numbers(JSON.parse(json.out()) as { id: string }[])).toEqual(ascending(1, limit));

    const csv = cliContext(h.core);
    expect(
      await queryRun(csv.ctx, [
        'vms',
        '--sort',
        'memoryMb',
        '--limit',
        String(limit),
        '--offset',
        '600',
        '--csv',
      ]),
    ).toBe(0);
    const [header, ...records] = csvRecords(csv.out());
    const id = header!.indexOf('id');
    expect(records.map((r) => Number(r[id]!.replace('vm-', '')))).toEqual(ascending(601, limit));

    // A limit past the end gives what there is.
    const past = cliContext(h.core);
    expect(
      await queryRun(past.ctx, ['vms', '--limit', String(VMS + 5000), '--offset', '10', '--json']),
    ).toBe(0);
    expect(JSON.parse(past.out())).toHaveLength(VMS - 10);
  });

  it('the table pages too and counts what it printed', async () => {
    const c = cliContext(h.core);
    const limit = QUERY_WINDOW + 3;
    expect(await queryRun(c.ctx, ['vms', '--sort', 'memoryMb', '--limit', String(limit)])).toBe(0);
    const lines = c.out().trimEnd().split('\n');
    // Header, rule, then the rows.
    expect(lines).toHaveLength(limit + 2);
    expect(lines[2]).toMatch(/^vc-big\s+vm-1\s/);
    expect(lines[limit + 1]).toMatch(new RegExp(`^vc-big\\s+vm-${limit}\\s`));
    expect(c.err()).toBe(`${limit} of ${VMS} vms\n`);
  });

  it('stops between windows when interrupted, leaving the array unclosed', async () => {
    const controller = new AbortController();
    let out = '';
    const ctx = createCliContext(h.core, {
      out: new Writable({
        write(chunk: Buffer, _enc, done) {
          out += chunk.toString('utf8');
          // Ctrl-C as the first window reaches the terminal.
          controller.abort();
          done();
        },
      }),
      err: new Writable({ write: (_c, _e, done) => done() }),
      stdin: Readable.from([]),
      isTTY: false,
      env: {},
      signal: controller.signal,
    });
    expect(await queryRun(ctx, ['vms', '--sort', 'memoryMb', '--json'])).toBe(0);
    expect(out.startsWith('[\n')).toBe(true);
    expect(out.trimEnd().endsWith(']')).toBe(false);
    // One window got out, not the rest.
    expect(out.split('\n  {\n').length - 1).toBe(QUERY_WINDOW);
  });
});
