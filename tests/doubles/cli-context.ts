import { PassThrough, Readable, Writable } from 'node:stream';
import type { CliContext, CliIo } from '../../src/cli/context.js';
import { createCliContext } from '../../src/cli/context.js';
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
    // As the CLI builds it: what commands print passes the same terminal guard.
    ctx: createCliContext(core, {
      out: sink((s) => (out += s)),
      err: sink((s) => (err += s)),
      stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
      isTTY: opts.isTTY ?? false,
      env: opts.env ?? {},
      signal: controller.signal,
    }),
    out: () => out,
    err: () => err,
    interrupt: () => controller.abort(),
  };
}

/** The streams `runCli` takes, capturing stdout and stderr as text. */
export function capturedIo(
  signal: AbortSignal = new AbortController().signal,
): CliIo & { stdout(): string; stderr(): string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  return {
    out,
    err,
    stdin: new PassThrough(),
    isTTY: false,
    env: {},
    signal,
    stdout: () => o,
    stderr: () => e,
  };
}
