import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logDir, logFile, rotatingLogFile } from './log-file.js';
import { createLogger } from './logger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infrascope-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const posix = process.platform !== 'win32';

function line(i: number): string {
  return `${JSON.stringify({ i, msg: 'x'.repeat(80) })}\n`;
}

describe('rotating log file', () => {
  it('rotates by size and keeps only the newest files', () => {
    const file = logFile(dir, 'serve');
    const out = rotatingLogFile({ file, maxBytes: 1000, keep: 2 });
    const n = 60; // 60 lines of ~100 bytes: ~6 files' worth, so the oldest must go
    for (let i = 0; i < n; i++) out.write(line(i));
    out.close();
    expect(readdirSync(logDir(dir)).sort()).toEqual(['serve.log', 'serve.log.1', 'serve.log.2']);
    const read = (f: string): number[] =>
      readFileSync(join(logDir(dir), f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { i: number }).i);
    const current = read('serve.log');
    const one = read('serve.log.1');
    const two = read('serve.log.2');
    // Consecutive, newest last, the last line written in the current file.
    expect([...two, ...one, ...current]).toEqual(
      Array.from({ length: two.length + one.length + current.length }, (_, k) => two[0]! + k),
    );
    expect(current.at(-1)).toBe(n - 1);
    expect(two[0]).toBeGreaterThan(0);
    for (const f of ['serve.log', 'serve.log.1', 'serve.log.2']) {
      expect(statSync(join(logDir(dir), f)).size).toBeLessThanOrEqual(1000);
    }
  });

  it('appends to an existing file and counts its size', () => {
    const file = logFile(dir, 'desktop');
    // Lines of 97 bytes: nine fit in 950, the tenth does not.
    const first = rotatingLogFile({ file, maxBytes: 950, keep: 3 });
    for (let i = 0; i < 8; i++) first.write(line(i));
    first.close();
    const second = rotatingLogFile({ file, maxBytes: 950, keep: 3 });
    second.write(line(8));
    expect(existsSync(`${file}.1`)).toBe(false);
    second.write(line(9)); // the tenth line: rotates first
    second.close();
    expect(readFileSync(`${file}.1`, 'utf8').trim().split('\n')).toHaveLength(9);
    expect(readFileSync(file, 'utf8')).toBe(line(9));
  });

  it.runIf(posix)('creates the folder 0700 and the files 0600', () => {
    const out = rotatingLogFile({ file: logFile(dir, 'serve'), maxBytes: 200, keep: 2 });
    for (let i = 0; i < 5; i++) out.write(line(i));
    out.close();
    expect(statSync(logDir(dir)).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(logDir(dir))) {
      expect(statSync(join(logDir(dir), f)).mode & 0o777).toBe(0o600);
    }
  });

  it('drops lines instead of throwing when the file cannot be written, and recovers', () => {
    const file = logFile(dir, 'serve');
    const out = rotatingLogFile({ file, maxBytes: 1000 });
    rmSync(logDir(dir), { recursive: true, force: true });
    // The folder is gone: rotation or reopening fails, the caller never sees it.
    for (let i = 0; i < 20; i++) expect(() => out.write(line(i))).not.toThrow();
    out.close();
  });

  it('carries pino records, redacted', () => {
    const file = logFile(dir, 'serve');
    const out = rotatingLogFile({ file });
    const log = createLogger({ level: 'info', destination: out });
    log.info({ password: 'hunter2', endpoint: 'vc1' }, 'signed in');
    out.close();
    const rec = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(rec).toMatchObject({ msg: 'signed in', endpoint: 'vc1', password: '[redacted]' });
  });
});
