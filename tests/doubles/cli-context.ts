import { Readable, Writable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';
import type { Core } from '../../src/core/core.js';

export interface CapturedCli {
  readonly ctx: CliContext;
  out(): string;
  err(): string;
  /** Ends the command's signal, as SIGINT would. */
  interrupt(): void;
}

/** A CLI context over a core, capturing stdout and stderr. */
export function cliContext(
  core: Core,
  opts: { stdin?: string; env?: NodeJS.ProcessEnv; isTTY?: boolean } = {},
): CapturedCli {
  let out = '';
  let err = '';
  const controller = new AbortController();
  const sink = (append: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        append(chunk.toString('utf8'));
        cb();
      },
    });
  return {
    ctx: {
      core,
      out: sink((s) => (out += s)),
      err: sink((s) => (err += s)),
      stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
      isTTY: opts.isTTY ?? false,
      env: opts.env ?? {},
      signal: controller.signal,
    },
    out: () => out,
    err: () => err,
    interrupt: () => controller.abort(),
  };
}
