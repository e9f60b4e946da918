import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServe } from '../../core/serve/server.js';
import { backupPolicy } from '../../core/store/backup-schedule.js';
import { AppError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';

export const SERVE_HELP = `Usage: infrascope serve [--port N] [--no-sync]

Serves the Infrascope UI on http://127.0.0.1 for a browser (port 0, the default, picks a free
port) and prints the URL to open; it carries a random token that guards this run. The scheduler
keeps inventory current unless --no-sync is given. Stop with Ctrl-C.`;

/** The built renderer sits beside the built CLI: out/cli/index.js → out/renderer/. */
export function rendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return process.env['INFRASCOPE_RENDERER_DIR'] ?? join(here, '..', 'renderer');
}

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string', short: 'p' }, 'no-sync': { type: 'boolean' } },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AppError('VALIDATION', `--port takes 0-65535, not "${values.port}"`);
  }
  let handle;
  try {
    handle = await startServe({ core: ctx.core, rendererDir: rendererDir(), port });
  } catch (e) {
    throw new AppError('VALIDATION', (e as Error).message);
  }
  if (!values['no-sync']) await ctx.core.start();
  ctx.out.write(`Infrascope is serving on ${handle.url}\n`);
  const backups = backupPolicy(ctx.core.store);
  // A team store: say whose backups they are, rather than let anyone expect the app's.
  if (backups.by === 'server') ctx.out.write(`${backups.note}\n`);
  await new Promise<void>((res) => {
    if (ctx.signal.aborted) res();
    ctx.signal.addEventListener('abort', () => res(), { once: true });
  });
  await handle.close();
  return 0;
}
