import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/*
 * The bundled CLI (out/cli/index.js, run by plain Node as shipped) as a separate process on a team
 * store, for the suites that put several processes on one PostgreSQL store.
 */

export const CLI = join(process.cwd(), 'out', 'cli', 'index.js');

export interface CliRun {
  readonly child: ChildProcess;
  /** Settles when the process exits, with its code and everything it printed. */
  readonly done: Promise<{ code: number | null; out: string }>;
  /** What it printed so far. */
  output(): string;
}

/**
 * Starts processes of the CLI on `store` with data directory `dir` and `env` added (functions:
 * read at each start, so a file's beforeAll can set what they return).
 */
export function teamCli(opts: {
  readonly dir: () => string;
  readonly store: () => string;
  readonly env: () => Readonly<Record<string, string>>;
}): { start(args: string[]): CliRun; killAll(): void } {
  const children: ChildProcess[] = [];
  return {
    start(args) {
      const child = spawn(
        process.execPath,
        [CLI, '--data-dir', opts.dir(), '--store', opts.store(), ...args],
        { env: { ...process.env, ...opts.env() }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const done = new Promise<{ code: number | null; out: string }>((resolve) =>
        child.once('exit', (code) => resolve({ code, out })),
      );
      return { child, done, output: () => out };
    },
    killAll() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}
