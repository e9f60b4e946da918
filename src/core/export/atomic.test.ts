import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { writeAtomically } from './atomic.js';

describe('writeAtomically', () => {
  it('renames the finished temp file into place, replacing an older file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const target = join(dir, 'out.txt');
    writeFileSync(target, 'old');
    const r = await writeAtomically(target, (tmp) => {
      writeFileSync(tmp, 'new content');
      return Promise.resolve(42);
    });
    expect(r).toEqual({ result: 42, file: target, bytes: 11 });
    expect(readFileSync(target, 'utf8')).toBe('new content');
    expect(readdirSync(dir)).toEqual(['out.txt']);
  });

  it('removes the half-written temp file when writing fails (a full disk), keeping the old file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const target = join(dir, 'out.txt');
    writeFileSync(target, 'old');
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
    });
    await expect(
      writeAtomically(target, (tmp) => {
        writeFileSync(tmp, 'half');
        return Promise.reject(full);
      }),
    ).rejects.toMatchObject({
      code: 'EXPORT_FAILED',
      message: `Cannot write ${target}: the disk is full`,
    });
    expect(readdirSync(dir)).toEqual(['out.txt']);
    expect(readFileSync(target, 'utf8')).toBe('old');
  });

  it('passes typed errors through (a cancellation) and still cleans up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    await expect(
      writeAtomically(join(dir, 'x'), (tmp) => {
        writeFileSync(tmp, 'partial');
        return Promise.reject(new AppError('CANCELLED', 'Export cancelled'));
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
