import { userInfo } from 'node:os';
import type { Core } from '../core/core.js';
import type { Channel, RequestInput, RequestOutput } from '../shared/contract.js';
import { inertStream } from './output.js';

/** What every CLI command gets: the core and its streams, so commands are testable in-process. */
export interface CliContext {
  core: Core;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  isTTY: boolean;
  /** The terminal's width, when stderr is one (progress lines are cut to it). */
  columns?: number;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

/** The process's streams and signal, as the bin entry (or a test) hands them to the CLI. */
export type CliIo = Omit<CliContext, 'core'>;

/**
 * The context commands run in: its stdout and stderr pass everything through `inert`, so no
 * inventory text reaches the terminal as a control sequence, whichever command prints it.
 */
export function createCliContext(core: Core, io: CliIo): CliContext {
  return {
    ...io,
    core,
    out: inertStream(io.out),
    err: inertStream(io.err, { progress: true }),
  };
}

/** Who the audit log names for CLI changes. */
export function cliActor(env: NodeJS.ProcessEnv): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = env['USER'] ?? env['USERNAME'] ?? 'unknown';
  }
  return `cli:${name}`;
}

/**
 * Calls the core as the command line: through the one dispatcher (host `cli`), typed, and a
 * failure thrown as the typed `AppError`.
 */
export function invoke<C extends Channel>(
  ctx: CliContext,
  channel: C,
  input: RequestInput<C>,
): Promise<RequestOutput<C>> {
  return ctx.core.invoke(channel, input, { actor: cliActor(ctx.env), host: 'cli' });
}
