import { parseArgs } from 'node:util';
import type { CliContext } from '../context.js';
import { resolveEndpoints } from './endpoint.js';

export const WATCH_HELP = `Usage: infrascope watch [NAME...]

Keeps the inventory of the named endpoints (default: every enabled one) current: each syncs on its
own interval and, where the endpoint supports it, follows changes as they happen. Runs until
Ctrl-C (SIGINT) or SIGTERM, then stops cleanly: running writes are committed or rolled back whole.`;

/** `infrascope watch [NAME...]` */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    ctx.out.write(WATCH_HELP + '\n');
    return 0;
  }
  const chosen = positionals.length > 0 ? await resolveEndpoints(ctx, positionals) : null;
  const unsubscribe = ctx.core.events.on('sync:progress', (p) => {
    if (p.state === 'running') return;
    const stamp = new Date().toISOString().slice(11, 19);
    ctx.err.write(
      `${stamp} ${p.endpoint}: ${p.state}${p.error ? ` — ${p.error.message} [${p.error.code}]` : ''}\n`,
    );
  });
  try {
    if (ctx.signal.aborted) return 0;
    await ctx.core.start(chosen ? { endpointIds: chosen.map((e) => e.id) } : {});
    ctx.err.write(
      `Watching ${chosen ? chosen.map((e) => e.name).join(', ') : 'every enabled endpoint'}. Press Ctrl-C to stop.\n`,
    );
    // Keeps the process alive while nothing is scheduled (no enabled endpoint, a paused circuit).
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      clearInterval(keepAlive);
    }
    ctx.err.write('Stopping: finishing or rolling back running syncs…\n');
    // Aborts in-flight syncs and waits for them; idempotent, so the host's own dispose is harmless.
    await ctx.core.dispose();
    ctx.err.write('Stopped.\n');
    return 0;
  } finally {
    unsubscribe();
  }
}
