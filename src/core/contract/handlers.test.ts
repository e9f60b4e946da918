import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';
import type { Channel, RequestOutput, requestSchemas } from '../../shared/contract.js';
import { CHANNELS } from '../../shared/contract.js';
import type { QueryResult } from '../../shared/query.js';
import type { Core } from '../core.js';
import { createCore } from '../core.js';
import type { VaultBackend } from '../vault/vault.js';

// A vault that never opens anything: these tests must not need one.
const noVault: VaultBackend = {
  id: 'test',
  description: 'test',
  canSeal: () => false,
  seal: () => {
    throw new Error('no');
  },
  open: () => {
    throw new Error('no');
  },
};

let core: Core;
afterAll(stopSharedPostgres);

describe('the contract', () => {
  it('types each channel output', () => {
    expectTypeOf<RequestOutput<'inventory:query'>>().toEqualTypeOf<QueryResult>();
    expectTypeOf<Channel>().toEqualTypeOf<keyof typeof requestSchemas>();
  });
});

describe.each(ENGINES)('the contract on a %s store', (engine) => {
  beforeAll(async () => {
    const store = await testStoreLocation(engine);
    core = await createCore({
      dataDir: '/nonexistent',
      host: 'cli',
      vault: noVault,
      ...(store === undefined ? { memory: true } : { store }),
    });
  });
  afterAll(async () => {
    await core.dispose();
  });

  it('registers a handler for every channel, and only those', () => {
    expect(Object.keys(core.handlers).sort()).toEqual([...CHANNELS].sort());
  });

  it('answers an unknown channel with a typed error', async () => {
    const reply = await core.request('inventory:drop', {}, { actor: 'test', host: 'cli' });
    expect(reply).toEqual({
      ok: false,
      error: { code: 'UNKNOWN_CHANNEL', message: expect.any(String) },
    });
  });

  it('rejects bad input before any handler runs, and changes nothing', async () => {
    const before = await core.store.db.selectFrom('endpoint').selectAll().execute();
    const bad: unknown[] = [
      { kind: 'vms', limit: -1 },
      { kind: 'vms', limit: 'all' },
      { kind: 'vms', where: [{ field: 'name', op: 'LIKE', value: 'x' }] },
      { kind: 'vms', extra: true },
      null,
      'vms',
    ];
    for (const input of bad) {
      const reply = await core.request('inventory:query', input, { actor: 'test', host: 'cli' });
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe('VALIDATION');
    }
    const addBad = await core.request(
      'endpoints:add',
      { name: '', kind: 'vcenter', host: 'x' },
      { actor: 'test', host: 'cli' },
    );
    expect(addBad).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    const addBad2 = await core.request(
      'endpoints:add',
      { name: 'ok', kind: 'mainframe', host: 'x' },
      { actor: 'test', host: 'cli' },
    );
    expect(addBad2).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await core.store.db.selectFrom('endpoint').selectAll().execute()).toEqual(before);
  });

  it('answers a good query with rows and a total', async () => {
    const reply = await core.request(
      'inventory:query',
      { kind: 'vms' },
      { actor: 'test', host: 'cli' },
    );
    expect(reply).toMatchObject({ ok: true, result: { kind: 'vms', rows: [], total: 0 } });
  });

  it('refuses a channel on a host the contract does not list, before validating or running it', async () => {
    for (const host of ['desktop', 'serve'] as const) {
      // Even an invalid input is refused for the host first: nothing about the channel runs.
      for (const input of [{ file: '/etc/passwd' }, { nonsense: 1 }]) {
        await expect(
          core.request('snapshots:import', input, { actor: 'test', host }),
        ).resolves.toEqual({
          ok: false,
          error: {
            code: 'FORBIDDEN',
            message: expect.stringContaining('snapshots:import is not available'),
            details: { channel: 'snapshots:import', host, hosts: ['cli'] },
          },
        });
      }
    }
    await expect(
      core.invoke(
        'snapshots:import',
        { file: '/nonexistent/x.json.gz' },
        { actor: 't', host: 'serve' },
      ),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // The command line may name a path: the request reaches the importer, which finds no file.
    await expect(
      core.invoke(
        'snapshots:import',
        { file: '/nonexistent/x.json.gz' },
        { actor: 't', host: 'cli' },
      ),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('Cannot read'),
    });
    await expect(core.invoke('snapshots:list', {}, { actor: 't', host: 'cli' })).resolves.toEqual(
      [],
    );
  });
});
