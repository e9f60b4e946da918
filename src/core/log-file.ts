import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DestinationStream } from 'pino';

/** The folder of the log files in a data directory (Help → Open log folder opens it). */
export function logDir(dataDir: string): string {
  return join(dataDir, 'logs');
}

/** A long-running host's log file: `logs/desktop.log`, `logs/serve.log`, `logs/watch.log`. */
export function logFile(dataDir: string, host: string): string {
  return join(logDir(dataDir), `${host}.log`);
}

export const LOG_MAX_BYTES = 10 * 1024 * 1024;
export const LOG_KEEP = 3;

export interface RotatingLogFile extends DestinationStream {
  readonly path: string;
  close(): void;
}

/**
 * A pino destination that writes one file and rotates it by size: when a line would take the
 * file past `maxBytes`, `x.log` becomes `x.log.1` (`.1` becomes `.2`, …) and the oldest beyond
 * `keep` is deleted, so the logs never hold more than about (keep + 1) × maxBytes. Writes are
 * synchronous (a line is on disk when the call returns, so nothing is lost at a crash or exit),
 * files are created 0600 in a 0700 folder (they may name hosts and accounts), and a failing disk
 * drops log lines rather than throwing into the code that logged.
 *
 * @example
 * const log = createLogger({ destination: rotatingLogFile({ file: logFile(dataDir, 'serve') }) });
 */
export function rotatingLogFile(opts: {
  file: string;
  maxBytes?: number;
  keep?: number;
}): RotatingLogFile {
  const { file } = opts;
  const maxBytes = opts.maxBytes ?? LOG_MAX_BYTES;
  const keep = Math.max(1, opts.keep ?? LOG_KEEP);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let fd: number | null = null;
  let size = 0;
  const open = (): number => {
    const opened = openSync(file, 'a', 0o600);
    size = fstatSync(opened).size;
    fd = opened;
    return opened;
  };
  open();

  const rotate = (): void => {
    if (fd !== null) closeSync(fd);
    fd = null;
    rmSync(`${file}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    renameSync(file, `${file}.1`);
    open();
  };

  return {
    path: file,
    write(line: string): void {
      try {
        const bytes = Buffer.byteLength(line);
        if (fd === null) open();
        if (size > 0 && size + bytes > maxBytes) rotate();
        writeSync(fd ?? open(), line);
        size += bytes;
      } catch {
        // A full or vanished disk: the line is lost, the caller carries on; the next write
        // opens the file again.
        if (fd !== null) {
          try {
            closeSync(fd);
          } catch {
            // Already closed.
          }
        }
        fd = null;
      }
    },
    close(): void {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
