import { parseArgs } from 'node:util';
import type { SyncProgressEvent } from '../../shared/contract.js';
import type { SerializedError } from '../../shared/errors.js';
import { AppError } from '../../shared/errors.js';
import { DEFAULT_FILE_LIMITS } from '../../core/collectors/vsphere/file-info.js';
import type { CliContext } from '../context.js';
import { resolveEndpoints } from './endpoint.js';
import { invoke } from '../context.js';
import { progressLine } from '../progress.js';

export const SYNC_HELP = `Usage: infrascope sync [NAME...] [--json] [--file-info [--file-info-max N] [--file-info-total N]]

One full sync of the named endpoints (default: every enabled one), several at once. Progress goes
to standard error; each endpoint's outcome to standard output. Exit status 0 when every sync
succeeded, 1 when any failed (the successful ones are saved either way).

  --file-info          also list every datastore's files (RVTools' vFileInfo), whatever the
                       endpoint's setting says. Off by default: the datastore browser walks every
                       folder of every datastore, which takes minutes on large estates.
  --file-info-max N    keep at most N files per datastore (default ${DEFAULT_FILE_LIMITS.maxFilesPerDatastore})
  --file-info-total N  keep at most N files in all; later datastores are not listed (default ${DEFAULT_FILE_LIMITS.maxFiles})
  A listing cut by a cap, or a datastore that could not be listed, is reported under the outcome;
  the files last listed there are kept.`;

export interface SyncOutcomeLine {
  readonly endpoint: string;
  readonly endpointId: number;
  readonly status: 'succeeded' | 'failed' | 'cancelled' | 'already-running';
  readonly runId: number | null;
  readonly seen: number | null;
  readonly created: number | null;
  readonly updated: number | null;
  readonly deleted: number | null;
  readonly durationMs: number | null;
  readonly error: SerializedError | null;
  /** What the collection left out (a file listing cut by its cap). */
  readonly notes?: readonly string[];
}

/** Renders progress: a redrawn status line on a terminal, plain throttled lines otherwise. */
function progressPrinter(
  ctx: CliContext,
  total: number,
): { update(p: SyncProgressEvent): void; end(): void } {
  const latest = new Map<number, SyncProgressEvent>();
  const lastLine = new Map<number, { phase: string; at: number }>();
  let finished = 0;
  const phaseText = (p: SyncProgressEvent): string =>
    `${p.phase}${p.done !== undefined ? ` ${p.done}${p.total !== undefined ? `/${p.total}` : ''}` : ''}`;
  const line = progressLine(ctx);
  const draw = (force: boolean): void => {
    const running = [...latest.values()]
      .filter((p) => p.state === 'running')
      .map((p) => `${p.endpoint}: ${phaseText(p)}`)
      .join(' | ');
    line.draw(`${finished}/${total} ${running}`, {
      frac: total === 0 ? 1 : finished / total,
      force,
    });
  };
  return {
    update(p) {
      latest.set(p.endpointId, p);
      if (p.state !== 'running') finished++;
      if (ctx.isTTY) {
        draw(p.state !== 'running');
        return;
      }
      // Plain lines: every phase change, and counts at most every 2 s per endpoint.
      const prev = lastLine.get(p.endpointId);
      const now = Date.now();
      const phaseDone = p.done !== undefined && p.done === p.total;
      if (
        p.state === 'running' &&
        prev &&
        prev.phase === p.phase &&
        !phaseDone &&
        now - prev.at < 2_000
      )
        return;
      lastLine.set(p.endpointId, { phase: p.phase, at: now });
      ctx.err.write(`${p.endpoint}: ${p.state === 'running' ? phaseText(p) : p.state}\n`);
    },
    end() {
      line.clear();
    },
  };
}

function outcomeText(o: SyncOutcomeLine): string {
  return outcomeHead(o) + (o.notes ?? []).map((n) => `\n  note: ${n}`).join('');
}

function outcomeHead(o: SyncOutcomeLine): string {
  switch (o.status) {
    case 'succeeded':
      return `✓ ${o.endpoint}: synced ${o.seen} objects (${o.created} new, ${o.updated} changed, ${o.deleted} gone) in ${((o.durationMs ?? 0) / 1000).toFixed(1)} s`;
    case 'already-running':
      return `- ${o.endpoint}: a sync of it is already running; not started again`;
    case 'cancelled':
      return `- ${o.endpoint}: cancelled`;
    case 'failed':
      return `✗ ${o.endpoint}: ${o.error?.message ?? 'failed'}${o.error ? ` [${o.error.code}]` : ''}`;
  }
}

/** `infrascope sync [NAME...] [--json]` */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      'file-info': { type: 'boolean' },
      'file-info-max': { type: 'string' },
      'file-info-total': { type: 'string' },
    },
  });
  if (values.help) {
    ctx.out.write(SYNC_HELP + '\n');
    return 0;
  }
  const fileInfo = fileInfoOf(values);
  const chosen = positionals.length > 0 ? await resolveEndpoints(ctx, positionals) : null;
  if (chosen === null && (await invoke(ctx, 'endpoints:list', {})).every((e) => !e.enabled)) {
    ctx.err.write('No enabled endpoints to sync. Add one with `infrascope endpoint add`.\n');
    if (values.json) ctx.out.write('[]\n');
    return 0;
  }

  // Subscribe before starting, so no terminal event is missed.
  const terminal = new Map<number, SyncProgressEvent>();
  let waiting: (() => void) | null = null;
  let printer: ReturnType<typeof progressPrinter> | null = null;
  const unsubscribe = ctx.core.events.on('sync:progress', (p) => {
    printer?.update(p);
    if (p.state !== 'running') {
      terminal.set(p.endpointId, p);
      waiting?.();
    }
  });
  try {
    const started = await invoke(ctx, 'sync:start', {
      ...(chosen ? { ids: chosen.map((e) => e.id) } : {}),
      ...(fileInfo === undefined ? {} : { fileInfo }),
    });
    printer = progressPrinter(ctx, started.started.length);
    const onAbort = (): void => {
      for (const s of started.started)
        void invoke(ctx, 'sync:cancel', { id: s.endpointId }).catch(() => undefined);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!started.started.every((s) => terminal.has(s.endpointId))) {
        await new Promise<void>((resolve) => (waiting = resolve));
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      printer.end();
    }
    const outcomes: SyncOutcomeLine[] = [];
    for (const s of started.started) {
      const p = terminal.get(s.endpointId);
      const run =
        p?.runId != null
          ? await ctx.core.store.db
              .selectFrom('sync_run')
              .selectAll()
              .where('id', '=', p.runId)
              .executeTakeFirst()
          : undefined;
      outcomes.push({
        endpoint: s.endpoint,
        endpointId: s.endpointId,
        status: p?.state === 'succeeded' || p?.state === 'cancelled' ? p.state : 'failed',
        runId: p?.runId ?? null,
        seen: run?.seen ?? null,
        created: run?.created ?? null,
        updated: run?.updated ?? null,
        deleted: run?.deleted ?? null,
        durationMs: run?.duration_ms ?? null,
        error: p?.error ?? null,
        ...(p?.notes ? { notes: p.notes } : {}),
      });
    }
    for (const name of started.alreadyRunning) {
      const id = chosen?.find((e) => e.name === name)?.id ?? 0;
      outcomes.push({
        endpoint: name,
        endpointId: id,
        status: 'already-running',
        runId: null,
        seen: null,
        created: null,
        updated: null,
        deleted: null,
        durationMs: null,
        error: { code: 'SYNC_IN_PROGRESS', message: `A sync of ${name} is already running.` },
      });
    }
    if (values.json) ctx.out.write(JSON.stringify(outcomes, null, 2) + '\n');
    else for (const o of outcomes) ctx.out.write(outcomeText(o) + '\n');
    return outcomes.every((o) => o.status === 'succeeded') ? 0 : 1;
  } finally {
    unsubscribe();
  }
}

/** `--file-info` and its caps as `sync:start` takes them; a cap without `--file-info` is an error. */
function fileInfoOf(values: {
  readonly 'file-info'?: boolean | undefined;
  readonly 'file-info-max'?: string | undefined;
  readonly 'file-info-total'?: string | undefined;
}): true | { maxFilesPerDatastore?: number; maxFiles?: number } | undefined {
  const cap = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new AppError(
        'VALIDATION',
        `--${flag} takes a whole number of files above 0, not "${v}".`,
      );
    return n;
  };
  const perDatastore = cap('file-info-max', values['file-info-max']);
  const total = cap('file-info-total', values['file-info-total']);
  const capped = perDatastore !== undefined || total !== undefined;
  if (!values['file-info']) {
    if (capped)
      throw new AppError(
        'VALIDATION',
        '--file-info-max and --file-info-total go with --file-info.',
      );
    return undefined;
  }
  if (!capped) return true;
  return {
    ...(perDatastore === undefined ? {} : { maxFilesPerDatastore: perDatastore }),
    ...(total === undefined ? {} : { maxFiles: total }),
  };
}
