import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, openTestStore, testStoreLocation } from '../helpers/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { documentSource, readJsonSnapshot } from '../../src/core/export/json-snapshot.js';
import { records } from '../../src/core/export/source.js';
import type { CollectedEntity } from '../../src/shared/entities.js';
import { ENTITY_TYPES } from '../../src/shared/entities.js';
import type { QueryKind, QueryRow } from '../../src/shared/query.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { TRICKY, fillStore } from './fixtures.js';
import { parseCsv, readZip } from './zip-reader.js';

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  let h: CoreHarness;

  beforeAll(async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
    await fillStore(h.core.store.db);
  });

  afterAll(async () => {
    await h.close();
  });

  describe('CSV export', () => {
    it('quotes commas, quotes and newlines (RFC 4180) and keeps non-ASCII as UTF-8', async () => {
      const out = join(h.dir, 'vms.csv');
      const r = await h.call('export:run', { format: 'csv', out, types: ['vm'] });
      expect(r.rows).toEqual({ vm: 13 });
      const text = readFileSync(out, 'utf8');
      expect(text.charCodeAt(0)).not.toBe(0xfeff);
      expect(text).toContain('"web, frontend"');
      expect(text).toContain('"db ""primary"""');
      expect(text).toContain('"line one\nline two"');
      expect(text.split('\r\n')[0]).toMatch(/^endpoint,id,name,datacenterId,datacenterName,/);
      const rows = parseCsv(text);
      const head = rows[0]!;
      const body = rows.slice(1);
      expect(body).toHaveLength(13);
      for (const row of body) expect(row).toHaveLength(head.length);
      const col = (name: string): number => head.indexOf(name);
      const names = body.map((row) => row[col('name')]!);
      expect(names).toContain(TRICKY.comma);
      expect(names).toContain(TRICKY.quote);
      expect(names).toContain(TRICKY.newline);
      expect(names).toContain(TRICKY.unicode);
      // Formula prefixes become text for spreadsheets.
      expect(names).toContain(`'${TRICKY.formula}`);
      expect(names).toContain(`'${TRICKY.plus}`);
      expect(names).toContain(`'${TRICKY.at}`);
      const app1 = body.find((row) => row[col('name')] === 'app-001')!;
      expect(app1[col('hostName')]).toBe('esx1.example.test');
      expect(app1[col('datastoreIds')]).toBe('datastore-1');
      expect(app1[col('datastoreNames')]).toBe('ds-gold');
      expect(app1[col('isTemplate')]).toBe('false');
      expect(app1[col('memoryMb')]).toBe('1024');
      expect(JSON.parse(app1[col('customAttributes')]!)).toEqual({
        Owner: 'alice',
        'Cost center': '42',
      });
    });

    it('writes a BOM when asked and zips several types', async () => {
      const out = join(h.dir, 'all.zip');
      const r = await h.call('export:run', { format: 'csv', out, bom: true });
      expect(Object.keys(r.rows)).toEqual([...ENTITY_TYPES]);
      const zip = readZip(out);
      expect([...zip.keys()]).toEqual(ENTITY_TYPES.map((t) => `${t}.csv`));
      for (const [name, data] of zip) {
        expect(data.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), name).toBe(true);
      }
      const hosts = parseCsv(zip.get('host.csv')!.toString('utf8').slice(1));
      expect(hosts).toHaveLength(3);
      expect(
        hosts
          .slice(1)
          .map((row) => row[2])
          .sort(),
      ).toEqual(['esx1.example.test', 'esx2.example.test']);
      const unicode = parseCsv(zip.get('vm.csv')!.toString('utf8').slice(1)).find(
        (row) => row[2] === TRICKY.unicode,
      );
      expect(unicode).toBeDefined();
    });
  });

  const KINDS: QueryKind[] = [
    'vms',
    'hosts',
    'clusters',
    'datacenters',
    'datastores',
    'networks',
    'snapshots',
    'disks',
    'nics',
  ];

  function comparable(rows: readonly QueryRow[]): Record<string, unknown>[] {
    return rows.map((r) => {
      const { firstSeen, lastSeen, deletedAt, ...rest } = r;
      void firstSeen;
      void lastSeen;
      void deletedAt;
      return rest;
    });
  }

  describe('JSON snapshot', () => {
    it('round-trips: export, import into an empty store, identical query results', async () => {
      const out = join(h.dir, 'snap.json.gz');
      const r = await h.call('export:run', { format: 'json', out });
      expect(r.rows['vm']).toBe(13);
      const doc = await readJsonSnapshot(out);
      expect(doc.schemaVersion).toBe(1);
      const source = documentSource(doc);

      // Restore into a fresh store, the way another machine opens it offline.
      const other = await openTestStore(engine);
      try {
        for (const ep of source.endpoints) {
          const now = new Date().toISOString();
          const row = await other.db
            .insertInto('endpoint')
            .values({
              name: ep.name,
              kind: ep.kind,
              host: ep.host,
              port: ep.port ?? 443,
              username: '',
              created_at: now,
              updated_at: now,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          const entities: CollectedEntity[] = [];
          for (const type of ENTITY_TYPES) {
            for (const rec of records(source, type)) {
              if (rec.ep === ep)
                entities.push({ type: rec.type, id: rec.id, name: rec.name, fields: rec.fields });
            }
          }
          await writeFullInventory(
            other.db,
            { entities },
            { endpointId: row.id, syncRunId: null, now: new Date() },
          );
        }
        const { queryInventory } = await import('../../src/core/inventory/query.js');
        for (const kind of KINDS) {
          const a = await h.call('inventory:query', {
            kind,
            limit: 1000,
            sort: [{ field: 'id', desc: false }],
          });
          const b = await queryInventory(other.db, {
            kind,
            limit: 1000,
            sort: [{ field: 'id', desc: false }],
          });
          expect(b.total, kind).toBe(a.total);
          expect(comparable(b.rows), kind).toEqual(comparable(a.rows));
        }
        const relA = await h.core.store.db
          .selectFrom('relation')
          .select(['kind', 'from_id', 'to_id'])
          .orderBy(['kind', 'from_id', 'to_id'])
          .execute();
        const relB = await other.db
          .selectFrom('relation')
          .select(['kind', 'from_id', 'to_id'])
          .orderBy(['kind', 'from_id', 'to_id'])
          .execute();
        expect(relB).toEqual(relA);
        expect(doc.relations).toHaveLength(relA.length);
      } finally {
        await other.close();
      }
    });

    it('carries endpoints without credentials and every entity type', async () => {
      const out = join(h.dir, 'secret-check.json.gz');
      await h.core.store.db
        .updateTable('endpoint')
        .set({ username: 'svc-reader@corp', tls_thumbprint: 'AB:CD' })
        .execute();
      await h.call('export:run', { format: 'json', out });
      const text = gunzipSync(readFileSync(out)).toString('utf8');
      expect(text).not.toContain('svc-reader');
      expect(text).not.toContain('AB:CD');
      expect(text).not.toMatch(/password|ciphertext|credential/i);
      const doc = JSON.parse(text) as {
        endpoints: Record<string, unknown>[];
        entities: Record<string, unknown[]>;
      };
      expect(Object.keys(doc.endpoints[0]!).sort()).toEqual([
        'about',
        'host',
        'key',
        'kind',
        'name',
        'port',
      ]);
      expect(Object.keys(doc.entities)).toEqual([...ENTITY_TYPES]);
    });
  });

  describe('anonymized export', () => {
    const secrets = [
      'app-001',
      'esx1.example.test',
      'ds-gold',
      'VM Network',
      '10.0.0.1',
      'owner: alice',
      'app-001.corp.example',
      'Cluster A',
      'alice',
      'vc1',
    ];

    it('replaces names, IPs, DNS names and annotations with stable pseudonyms in every format', async () => {
      const texts: string[] = [];
      const json1 = join(h.dir, 'anon1.json.gz');
      const json2 = join(h.dir, 'anon2.json.gz');
      await h.call('export:run', { format: 'json', out: json1, anonymize: true });
      await h.call('export:run', { format: 'json', out: json2, anonymize: true });
      const t1 = gunzipSync(readFileSync(json1)).toString('utf8');
      const t2 = gunzipSync(readFileSync(json2)).toString('utf8');
      expect(t1.replace(/"createdAt":"[^"]*"/, '')).toBe(t2.replace(/"createdAt":"[^"]*"/, ''));
      texts.push(t1);
      const csv = join(h.dir, 'anon.zip');
      await h.call('export:run', { format: 'csv', out: csv, anonymize: true });
      for (const data of readZip(csv).values()) texts.push(data.toString('utf8'));
      const xlsx = join(h.dir, 'anon.xlsx');
      await h.call('export:run', { format: 'xlsx', out: xlsx, anonymize: true });
      for (const data of readZip(xlsx).values()) texts.push(data.toString('utf8'));
      for (const text of texts) {
        for (const s of secrets)
          expect(
            text.includes(`"${s}"`) || text.includes(`>${s}<`) || text.includes(`,${s},`),
            s,
          ).toBe(false);
      }
      // Structure survives: NICs name the pseudonym of their network.
      const doc = documentSource(await readJsonSnapshot(json1));
      const nets = new Map([...records(doc, 'network')].map((n) => [n.id, n.name]));
      for (const nic of records(doc, 'vmNic')) {
        expect(nic.fields['networkName']).toBe(nets.get(String(nic.fields['networkId'])));
      }
      const vm1 = [...records(doc, 'vm')].find((v) => v.id === 'vm-1')!;
      expect(vm1.name).toMatch(/^vm-[0-9a-f]{12}$/);
      expect(vm1.fields['ipAddress']).toMatch(/^10\.\d+\.\d+\.\d+$/);
      expect(vm1.fields['ipAddress']).not.toBe('10.0.0.1');
      expect(vm1.fields['guestHostname']).toMatch(/\.invalid$/);
      expect(vm1.fields['cpuCount']).toBe(2);
      expect(vm1.fields['uuid']).toBe('4200-1');
    });
  });
});
