import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AppError, isAppError } from '../../shared/errors.js';

/** A readable reason for a file-system error code, for the message people see. */
function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'the folder does not exist';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is exhausted';
    case 'EISDIR':
      return 'the path is a folder';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Writes `target` through a temporary file beside it, renamed into place only when `write`
 * succeeds: a failure, a full disk or a cancellation leaves no half-written file behind.
 *
 * @example
 * await writeAtomically('/exports/inv.xlsx', async (tmp) => writeWorkbook(tmp));
 */
export async function writeAtomically<T>(
  target: string,
  write: (tmp: string) => Promise<T>,
): Promise<{ result: T; file: string; bytes: number }> {
  const file = resolve(target);
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    const handle = await open(tmp, 'wx', 0o644);
    await handle.close();
  } catch (e) {
    throw new AppError('EXPORT_FAILED', `Cannot write to ${dir}: ${reason(e)}`, {
      path: dir,
      reason: (e as NodeJS.ErrnoException).code ?? 'unknown',
    });
  }
  try {
    const result = await write(tmp);
    const bytes = (await stat(tmp)).size;
    await rename(tmp, file);
    return { result, file, bytes };
  } catch (e) {
    await rm(tmp, { force: true });
    if (isAppError(e)) throw e;
    throw new AppError('EXPORT_FAILED', `Cannot write ${file}: ${reason(e)}`, {
      path: file,
      reason: (e as NodeJS.ErrnoException).code ?? 'unknown',
    });
  }
}
