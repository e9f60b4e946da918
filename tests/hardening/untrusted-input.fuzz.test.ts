import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from '../../src/core/collectors/hyperv/collector.js';
import { mapInventory } from '../../src/core/collectors/hyperv/mapper.js';
import { endpointDocSchema, nodesDocSchema } from '../../src/core/collectors/hyperv/schema.js';
import type { Core } from '../../src/core/core.js';
import { createCore } from '../../src/core/core.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import type { VaultBackend } from '../../src/core/vault/vault.js';
import { CHANNELS } from '../../src/shared/contract.js';
import { AppError, ERROR_CODES } from '../../src/shared/errors.js';
import { FILTER_OPS, QUERY_KINDS, parseFilter } from '../../src/shared/query.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, addEndpoint, sampleInventory, testStoreLocation } from '../helpers/store.js';

// Fixed seeds in the suite; `FUZZ_RUNS` raises the run count for a long local run.
const runs = Number(process.env['FUZZ_RUNS'] ?? 300);
const params = { seed: 20261124, numRuns: runs };

const noVault: VaultBackend = {
  id: 'none',
  description: 'none',
  canSeal: () => false,
  seal: () => {
    throw new AppError('VAULT_UNAVAILABLE', 'no vault in this test');
  },
  open: () => {
    throw new AppError('VAULT_UNAVAILABLE', 'no vault in this test');
  },
};

afterAll(stopSharedPostgres);

describe('the CLI --where parser', () => {
  it('parses or rejects with a readable message, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        try {
          const f = parseFilter(text);
          expect(typeof f.field).toBe('string');
          expect(FILTER_OPS).toContain(f.op);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect((e as Error).message).toMatch(/Cannot read filter/);
        }
      }),
      params,
    );
  });
});

// The validators answer from the store: on both engines, and bad input changes neither.
describe.each(ENGINES)('on a %s store', (engine) => {
  let core: Core;
  beforeAll(async () => {
    const store = await testStoreLocation(engine);
    // No vault and no team store key: nothing here may seal or open a secret.
    core = await createCore({
      dataDir: '/nonexistent',
      host: 'cli',
      vault: noVault,
      ...(store === undefined ? { memory: true } : { store, storeKey: null }),
    });
    const ep = await addEndpoint(core.store.db);
    await writeFullInventory(
      core.store.db,
      { entities: sampleInventory(20) },
      { endpointId: ep, syncRunId: null, now: new Date() },
    );
  });
  afterAll(async () => {
    await core?.dispose();
  });

  describe('the contract validators', () => {
    const known = new Set<string>(ERROR_CODES);
    it('answer any channel and input with a result or a typed error, and never throw', async () => {
      const before = await core.store.db.selectFrom('endpoint').selectAll().execute();
      expect(before).toHaveLength(1);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.constantFrom(
              ...CHANNELS.filter(
                (c) =>
                  !c.startsWith('endpoints:') &&
                  !c.startsWith('sync:') &&
                  !c.includes(':save') &&
                  !c.includes(':delete') &&
                  !c.includes('export:run') &&
                  !c.includes('import') &&
                  !c.includes('ack') &&
                  !c.includes('snooze') &&
                  !c.includes('suppress') &&
                  !c.includes('update') &&
                  !c.includes('webhooks'),
              ),
            ),
            fc.string({ maxLength: 30 }),
          ),
          fc.oneof(
            fc.anything(),
            fc.record({
              kind: fc.constantFrom(...QUERY_KINDS),
              limit: fc.integer(),
              where: fc.array(
                fc.record({ field: fc.string(), op: fc.string(), value: fc.string() }),
                { maxLength: 3 },
              ),
            }),
          ),
          async (channel, input) => {
            const reply = await core.request(channel, input, { actor: 'fuzz', host: 'cli' });
            if (!reply.ok) expect(known.has(reply.error.code)).toBe(true);
          },
        ),
        { ...params, numRuns: Math.min(runs, 200) },
      );
      // Bad input changed nothing.
      expect(await core.store.db.selectFrom('endpoint').selectAll().execute()).toEqual(before);
    });

    it('queries with arbitrary filters give rows or VALIDATION/UNKNOWN_FIELD', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...QUERY_KINDS),
          fc.array(
            fc.record({
              field: fc.constantFrom(
                'name',
                'cpuCount',
                'powerState',
                'datastores',
                'isTemplate',
                'nope',
                'at',
              ),
              op: fc.constantFrom(...FILTER_OPS),
              value: fc.string({ maxLength: 12 }),
            }),
            { maxLength: 3 },
          ),
          fc.string({ maxLength: 12 }),
          async (kind, where, search) => {
            const reply = await core.request(
              'inventory:query',
              { kind, where, search, limit: 5 },
              { actor: 'fuzz', host: 'cli' },
            );
            if (!reply.ok) expect(['VALIDATION', 'UNKNOWN_FIELD']).toContain(reply.error.code);
          },
        ),
        { ...params, numRuns: Math.min(runs, 200) },
      );
    });
  });
});

describe('the PowerShell JSON mapper', () => {
  const fixture = JSON.parse(
    readFileSync('tests/doubles/powershell/fixtures/cluster-ps7.json', 'utf8'),
  ) as {
    endpoint: unknown;
    nodes: Record<string, unknown>;
  };

  /** Replaces the value at one random path of a JSON tree. */
  function mutate(tree: unknown, pick: number, replacement: unknown): unknown {
    let i = 0;
    const walk = (v: unknown): unknown => {
      if (i++ === pick) return replacement;
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object')
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(tree);
  }

  it('turns mutated documents into entities or PROTOCOL_ERROR, never a crash', () => {
    const nodes = { Nodes: Object.values(fixture.nodes) };
    // The unmutated fixture maps cleanly, so mutations start from a valid document.
    const clean = mapInventory({
      endpointName: 'hv-fuzz',
      endpoint: parseDocument(JSON.stringify(fixture.endpoint), endpointDocSchema, 'hv-fuzz', 'e'),
      nodes: parseDocument(JSON.stringify(nodes), nodesDocSchema, 'hv-fuzz', 'n'),
    });
    expect(clean.entities.filter((e) => e.type === 'vm').length).toBeGreaterThan(0);
    let mapped = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fc.nat(400), fc.anything(), fc.boolean(), (pick, replacement, which) => {
        const doc = which ? mutate(fixture.endpoint, pick, replacement) : fixture.endpoint;
        const nodeDoc = which ? nodes : mutate(nodes, pick, replacement);
        try {
          const endpoint = parseDocument(
            JSON.stringify(doc),
            endpointDocSchema,
            'hv-fuzz',
            'get-endpoint.ps1',
          );
          const parsedNodes = parseDocument(
            JSON.stringify(nodeDoc),
            nodesDocSchema,
            'hv-fuzz',
            'get-nodes.ps1',
          );
          const out = mapInventory({ endpointName: 'hv-fuzz', endpoint, nodes: parsedNodes });
          expect(Array.isArray(out.entities)).toBe(true);
          mapped++;
        } catch (e) {
          expect(e).toBeInstanceOf(AppError);
          expect((e as AppError).code).toBe('PROTOCOL_ERROR');
          rejected++;
        }
      }),
      params,
    );
    // Both paths were exercised: some mutations still validate, others are refused.
    expect(mapped).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });

  it('rejects non-JSON output with PROTOCOL_ERROR', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseDocument(text, endpointDocSchema, 'hv-fuzz', 'get-endpoint.ps1');
        } catch (e) {
          expect((e as AppError).code).toBe('PROTOCOL_ERROR');
        }
      }),
      params,
    );
  });
});
