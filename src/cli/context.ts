import type { Core } from '../core/core.js';

/** What every CLI command gets: the core and its streams, so commands are testable in-process. */
export interface CliContext {
  core: Core;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}
