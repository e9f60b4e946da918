import { afterEach, describe, expect, it } from 'vitest';
import { createHyperVCollector } from '../../src/core/collectors/hyperv/index.js';
import { AppError } from '../../src/shared/errors.js';
import type { DoubleHandle } from './helpers.js';
import { PASSWORD, USER, captureLog, ctxOf, target, useDouble } from './helpers.js';

let double: DoubleHandle | undefined;
afterEach(() => {
  double?.restore();
  double = undefined;
});

const FORMS = [PASSWORD, Buffer.from(PASSWORD, 'utf8').toString('base64')];

function expectNoSecret(text: string, what: string): void {
  for (const form of FORMS) expect(text.includes(form), `${what} holds the secret`).toBe(false);
}

describe('the Hyper-V password', () => {
  it('reaches PowerShell on stdin only: never in its arguments, environment or our logs', async () => {
    double = useDouble({
      fixture: 'standalone-ps51.json',
      scripts: { 'get-endpoint': ['hang', 'ok'] },
    });
    const log = captureLog();
    const collector = createHyperVCollector(target(), { endpointTimeoutMs: 600 });
    await expect(collector.collectFull(ctxOf(log.log))).rejects.toMatchObject({ code: 'TIMEOUT' });
    await collector.collectFull(ctxOf(log.log));
    await collector.dispose();

    const recs = double.records();
    const starts = recs.filter((r) => r.event === 'start');
    expect(starts).toHaveLength(2); // the restarted process got the credential the same way
    for (const s of starts) {
      expect(s.argv?.length).toBeGreaterThan(0);
      expectNoSecret(JSON.stringify(s.argv), 'argv');
      expectNoSecret(JSON.stringify(s.env), 'env');
    }
    // ... and yet the double, which checks the credential's user and password hash, got it right.
    const scripts = recs.filter((r) => r.event === 'script');
    expect(scripts.map((r) => [r.user, r.passwordOk])).toEqual([
      [USER, true],
      [USER, true],
      [USER, true],
    ]);
    for (const r of scripts) expectNoSecret(r.command ?? '', 'the script command');
    expect(log.text()).toMatch(/PowerShell started/);
    expectNoSecret(log.text(), 'the log');
  });

  it('is scrubbed from PowerShell error text before it reaches an error or a log', async () => {
    double = useDouble({
      fixture: 'standalone-ps51.json',
      scripts: { 'get-endpoint': ['echo-secret'] },
    });
    const log = captureLog();
    const collector = createHyperVCollector(target());
    const e = await collector.collectFull(ctxOf(log.log)).then(
      () => null,
      (x: unknown) => x,
    );
    await collector.dispose();
    expect(e).toBeInstanceOf(AppError);
    const err = e as AppError;
    expect(err.code).toBe('PROTOCOL_ERROR');
    expect(err.message).toMatch(/\[redacted\]/);
    expectNoSecret(JSON.stringify(err.toJSON()), 'the error');
    expectNoSecret(log.text(), 'the log');
  });
});
