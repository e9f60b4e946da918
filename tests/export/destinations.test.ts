import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeHandle } from '../../src/core/serve/server.js';
import { startServe } from '../../src/core/serve/server.js';
import type { CallerHost } from '../../src/shared/contract.js';
import { EXPORT_DOWNLOAD_PATH } from '../../src/shared/export.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { fillStore } from './fixtures.js';

/*
 * Where exports go is the host's to decide, never the page's: the desktop page saves through
 * main's dialog (src/main/desktop-actions.test.ts), the serve page into the data folder's
 * exports/ and then downloads; only in-process callers (the CLI's --out) name a path.
 */

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  let h: CoreHarness;
  let renderer: string;
  let served: ServeHandle;

  beforeAll(async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
    await fillStore(h.core.store.db);
    renderer = mkdtempSync(join(tmpdir(), 'infrascope-ui-'));
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>t</title>');
    served = await startServe({ core: h.core, rendererDir: renderer, port: 0, token: 't0ken' });
  });

  afterAll(async () => {
    await served?.close();
    await h?.close();
    rmSync(renderer, { recursive: true, force: true });
  });

  const as = (host: CallerHost) => ({ actor: 'test', host });
  const exportsDir = (): string => join(h.dir, 'exports');

  describe('export destinations by host', () => {
    it('lets no page name a path: export:run is for in-process callers only', async () => {
      const target = join(h.dir, 'page-chose-this.xlsx');
      for (const host of ['desktop', 'serve'] as const) {
        await expect(
          h.core.request('export:run', { format: 'xlsx', out: target }, as(host)),
        ).resolves.toMatchObject({
          ok: false,
          error: { code: 'FORBIDDEN', details: { channel: 'export:run', host } },
        });
      }
      expect(existsSync(target)).toBe(false);
      // export:save is the serve page's: the CLI has --out, the desktop main's dialog.
      for (const host of ['desktop', 'cli'] as const) {
        await expect(
          h.core.request('export:save', { format: 'json' }, as(host)),
        ).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      }
    });

    it('refuses a proposed name that is a path, and an out field, writing nothing', async () => {
      const target = join(h.dir, 'escaped.json.gz');
      for (const input of [
        { format: 'json', fileName: target },
        { format: 'json', fileName: '../escaped.json.gz' },
        { format: 'json', fileName: '..\\escaped.json.gz' },
        { format: 'json', fileName: '..' },
        { format: 'json', fileName: 'a\u001b]52;c;aGk=\u0007.json.gz' },
        { format: 'json', out: target },
      ]) {
        await expect(h.core.request('export:save', input, as('serve'))).resolves.toMatchObject({
          ok: false,
          error: { code: 'VALIDATION' },
        });
      }
      expect(existsSync(target)).toBe(false);
      expect(existsSync(exportsDir()) ? readdirSync(exportsDir()) : []).toEqual([]);
    });

    it('writes into the exports folder under the proposed name, never over an existing file', async () => {
      const first = await h.core.invoke(
        'export:save',
        { format: 'json', fileName: 'monday' },
        as('serve'),
      );
      expect(first.file).toBe(join(exportsDir(), 'monday.json.gz'));
      const second = await h.core.invoke(
        'export:save',
        { format: 'json', fileName: 'monday.json.gz' },
        as('serve'),
      );
      expect(second.file).toBe(join(exportsDir(), 'monday (2).json.gz'));
      const unnamed = await h.core.invoke('export:save', { format: 'xlsx' }, as('serve'));
      expect(unnamed.file).toMatch(/[/\\]exports[/\\]infrascope-\d{8}-\d{6}\.xlsx$/);
      expect(readdirSync(exportsDir()).sort()).toEqual(
        ['monday (2).json.gz', 'monday.json.gz', unnamed.file.split(/[/\\]/).pop()!].sort(),
      );
      expect(h.core.savedExports.fileOf(first.exportId)).toBe(first.file);
    });
  });

  interface Answer {
    readonly status: number;
    readonly body: Buffer;
    readonly headers: Record<string, string | string[] | undefined>;
  }

  function post(headers: Record<string, string>, method = 'POST'): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: served.port, path: EXPORT_DOWNLOAD_PATH, method, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks),
              headers: res.headers,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  describe('the serve download of a saved export', () => {
    it("hands out the file an export:save of this run wrote, to our page's origin and token only", async () => {
      const saved = await h.core.invoke(
        'export:save',
        { format: 'json', fileName: 'for-download' },
        as('serve'),
      );
      const origin = `http://127.0.0.1:${served.port}`;
      const good = {
        Host: `127.0.0.1:${served.port}`,
        Origin: origin,
        'X-Infrascope-Token': 't0ken',
        'X-Infrascope-Export-Id': saved.exportId,
      };
      const ok = await post(good);
      expect(ok.status).toBe(200);
      expect(ok.headers['content-disposition']).toContain(
        'attachment; filename="for-download.json.gz"',
      );
      expect(ok.body.equals(readFileSync(saved.file))).toBe(true);

      for (const bad of [
        { ...good, 'X-Infrascope-Token': 'wrong' },
        { ...good, Origin: 'http://evil.example' },
        { ...good, Origin: '' },
      ]) {
        const refused = await post(bad);
        expect(refused.status).toBe(403);
        expect(JSON.parse(refused.body.toString())).toMatchObject({ error: { code: 'FORBIDDEN' } });
      }
      expect((await post(good, 'GET')).status).toBe(403);

      // Only files of this run's saves: not another export's id, not a path.
      mkdirSync(join(h.dir, 'other'), { recursive: true });
      const elsewhere = await h.call('export:run', {
        format: 'json',
        out: join(h.dir, 'other', 'x.json.gz'),
      });
      for (const id of [elsewhere.exportId, 'nope', '../store.db', saved.file]) {
        const missing = await post({ ...good, 'X-Infrascope-Export-Id': id });
        expect(missing.status).toBe(404);
        expect(JSON.parse(missing.body.toString())).toMatchObject({ error: { code: 'NOT_FOUND' } });
      }
    });
  });
});
