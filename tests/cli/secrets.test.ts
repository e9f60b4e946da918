import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors.js';
import { run as endpointCli } from '../../src/cli/commands/endpoint.js';
import { run as syncCli } from '../../src/cli/commands/sync.js';
import { createCollectorDouble } from '../doubles/collector-double.js';
import { cliContext } from '../doubles/cli-context.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { makeCore } from '../doubles/core-harness.js';
import type { FakeVsphere } from '../doubles/fake-vsphere.js';
import { startFakeVsphere } from '../doubles/fake-vsphere.js';
import { makeSelfSigned } from '../doubles/self-signed.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';

afterAll(stopSharedPostgres);

const PASSWORD = 'Zq7!correct-horse-battery';
const WRONG = 'Xy9!wrong-horse-battery';
const NEW = 'Np3!rotated-horse-battery';

describe.each(ENGINES)('secrets never leave the vault (%s store)', (engine) => {
  const cert = makeSelfSigned('localhost');
  let vc: FakeVsphere;
  let h: CoreHarness;
  beforeAll(async () => {
    vc = await startFakeVsphere({ tls: cert, apiType: 'VirtualCenter', password: PASSWORD });
  });
  afterAll(async () => {
    await h?.close();
    await vc.close();
  });

  it('keeps passwords out of logs, output, events, errors, run rows and the audit log', async () => {
    const double = createCollectorDouble({ kind: 'ok', vms: 2 });
    // A careless collector that puts the password in its error must not leak it either.
    double.behave('leaky', {
      kind: 'fail',
      error: new AppError('SOAP_FAULT', `login with ${PASSWORD} failed`, {
        password: PASSWORD,
        echo: PASSWORD,
      }),
    });
    h = await makeCore({
      collectors: { vcenter: double.factory },
      store: await testStoreLocation(engine),
    });
    const outputs: string[] = [];
    const cli = async (
      argv: string[],
      env: NodeJS.ProcessEnv = {},
      stdin?: string,
    ): Promise<number> => {
      const c = cliContext(h.core, { env, ...(stdin === undefined ? {} : { stdin }) });
      const code = await (
        argv[0] === 'sync' ? syncCli(c.ctx, argv.slice(1)) : endpointCli(c.ctx, argv)
      ).catch((e: unknown) => {
        outputs.push(JSON.stringify(e instanceof AppError ? e.toJSON() : String(e)));
        return 1;
      });
      outputs.push(c.out(), c.err());
      return code;
    };
    const target = [
      '--type',
      'vcenter',
      '--host',
      `127.0.0.1:${vc.port}`,
      '-u',
      'admin',
      '--thumbprint',
      cert.fingerprint256,
    ];
    expect(await cli(['add', 'vc', ...target, '--password-env', 'PW'], { PW: PASSWORD })).toBe(0);
    expect(await cli(['add', 'wrong', ...target, '--password-stdin'], {}, `${WRONG}\n`)).toBe(0);
    expect(await cli(['add', 'leaky', ...target, '--password-env', 'PW'], { PW: PASSWORD })).toBe(
      0,
    );
    expect(await cli(['test', 'vc', '--json'])).toBe(0);
    expect(await cli(['test', 'wrong', '--json'])).toBe(1);
    expect(await cli(['test', 'wrong'])).toBe(1);
    expect(await cli(['sync'])).toBe(1);
    expect(await cli(['sync', '--json'])).toBe(1);
    expect(await cli(['set', 'vc', '--password-env', 'NEWPW'], { NEWPW: NEW })).toBe(0);
    expect(await cli(['list', '--json'])).toBe(0);
    // An add that fails validation after reading the password.
    expect(await cli(['add', 'vc', ...target, '--password-env', 'PW'], { PW: PASSWORD })).toBe(1);

    const db = h.core.store.db;
    const stored = JSON.stringify({
      audit: await db.selectFrom('audit_log').selectAll().execute(),
      runs: await db.selectFrom('sync_run').selectAll().execute(),
      settings: await db.selectFrom('setting').selectAll().execute(),
      endpoints: await db.selectFrom('endpoint').selectAll().execute(),
      credentials: (await db.selectFrom('credential').select('ciphertext').execute()).map((c) =>
        Buffer.from(c.ciphertext).toString('latin1'),
      ),
    });
    const haystacks = {
      logs: h.logs.join(''),
      outputs: outputs.join(''),
      events: JSON.stringify(h.events),
      stored,
    };
    expect(h.logs.length).toBeGreaterThan(5); // the logs were really captured
    expect(haystacks.outputs).toContain('INVALID_LOGIN');
    expect(haystacks.stored).toContain('[redacted]'); // the leaky error was scrubbed, not dropped
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of [PASSWORD, WRONG, NEW]) {
        expect(text.includes(secret), `${secret} found in ${where}`).toBe(false);
      }
    }
    // The server did get the password (the test is not vacuous).
    expect(vc.bodies.some((b) => b.includes(PASSWORD))).toBe(true);
  });
});
