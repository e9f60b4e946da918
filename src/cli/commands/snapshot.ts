import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { EntityType, FieldValue } from '../../shared/entities.js';
import { ENTITY_TYPES } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import { diffToCsv } from '../../shared/csv.js';
import type { DiffField, SnapshotDiff, SnapshotInfo } from '../../shared/export.js';
import type { CliContext } from '../context.js';
import { invoke } from '../context.js';
import { progressLine } from '../progress.js';

export const SNAPSHOT_HELP = `Usage: infrascope snapshot save [--label LABEL] [--json]
       infrascope snapshot list [--json]
       infrascope snapshot diff A B [--type TYPE]... [--limit N] [--json | --csv [--bom]]
       infrascope snapshot delete ID
       infrascope snapshot import FILE [--label LABEL] [--format json|rvtools]

A and B are a snapshot id, a label (the newest with it) or "now" (the live inventory). A diff
lists VMs, hosts, datastores and networks added, removed and changed field by field (--type to
choose other entity types: ${ENTITY_TYPES.join(', ')}). --csv writes the diff as CSV (one row
per added or removed entity and per changed field; --bom for Excel), --json as JSON.
"import" reads an exported JSON snapshot or an RVTools workbook (.xlsx) into a read-only snapshot.`;

function show(v: FieldValue, name?: string | null): string {
  const text = v === null ? '(none)' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return name ? `${name} (${text})` : text;
}

function describeField(f: DiffField): string {
  return `${f.field}: ${show(f.old, f.oldName)} -> ${show(f.new, f.newName)}`;
}

function formatDiff(diff: SnapshotDiff): string {
  const side = (s: SnapshotDiff['from']): string =>
    s.id === null ? 'now' : `${s.id}${s.label ? ` (${s.label})` : ''} ${s.createdAt}`;
  const lines = [`Diff ${side(diff.from)} -> ${side(diff.to)}`];
  for (const type of diff.types) {
    const s = diff.summary[type];
    if (s) lines.push(`  ${type.padEnd(12)} +${s.added} -${s.removed} ~${s.changed}`);
  }
  const mark = { added: '+', removed: '-', changed: '~' } as const;
  for (const e of diff.entries) {
    lines.push(`${mark[e.change]} ${e.type} ${e.name} [${e.endpoint} ${e.id}]`);
    for (const f of e.fields ?? []) lines.push(`    ${describeField(f)}`);
  }
  if (diff.truncated) lines.push('(more entries left out: raise --limit)');
  return lines.join('\n') + '\n';
}

function formatList(list: readonly SnapshotInfo[]): string {
  const rows = list.map((s) => [
    String(s.id),
    s.createdAt.replace('T', ' ').slice(0, 19),
    s.label ?? '',
    `${s.source}${s.readOnly ? ' (read-only)' : ''}`,
    s.origin,
    String(s.counts.vm ?? 0),
    String(s.counts.host ?? 0),
    s.endpoints.join(','),
  ]);
  const head = ['ID', 'Created (UTC)', 'Label', 'Source', 'Origin', 'VMs', 'Hosts', 'Endpoints'];
  const widths = head.map((h, i) =>
    Math.min(40, Math.max(h.length, ...rows.map((r) => r[i]!.length))),
  );
  const fmt = (r: readonly string[]): string =>
    r
      .map((v, i) => v.slice(0, widths[i]).padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n') + '\n';
}

/** `infrascope snapshot save|list|diff|delete|import`. */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      label: { type: 'string' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      bom: { type: 'boolean' },
      type: { type: 'string', multiple: true },
      limit: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, ...args] = positionals;
  if (values.help || sub === undefined) {
    ctx.out.write(SNAPSHOT_HELP + '\n');
    return sub === undefined && !values.help ? 2 : 0;
  }
  switch (sub) {
    case 'save': {
      const info = await invoke(ctx, 'snapshots:save', values.label ? { label: values.label } : {});
      if (values.json) ctx.out.write(JSON.stringify(info, null, 2) + '\n');
      else {
        const counts = Object.entries(info.counts)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ');
        ctx.out.write(
          `Saved snapshot ${info.id}${info.label ? ` "${info.label}"` : ''}: ${counts || 'empty'}\n`,
        );
      }
      return 0;
    }
    case 'list': {
      const list = await invoke(ctx, 'snapshots:list', {});
      ctx.out.write(values.json ? JSON.stringify(list, null, 2) + '\n' : formatList(list));
      return 0;
    }
    case 'diff': {
      const [a, b] = args;
      if (a === undefined || b === undefined || args.length > 2) {
        throw new AppError(
          'VALIDATION',
          `Name two snapshots: diff A B (an id, a label or now).\n${SNAPSHOT_HELP}`,
        );
      }
      if (values.json && values.csv) {
        throw new AppError('VALIDATION', 'Choose one of --json and --csv');
      }
      if (values.bom && !values.csv) {
        throw new AppError('VALIDATION', '--bom goes with --csv');
      }
      const types = values.type ?? [];
      for (const t of types) {
        if (!(ENTITY_TYPES as readonly string[]).includes(t)) {
          throw new AppError(
            'VALIDATION',
            `Unknown type "${t}". Types: ${ENTITY_TYPES.join(', ')}`,
          );
        }
      }
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
        throw new AppError('VALIDATION', `--limit takes a whole number, not "${values.limit}"`);
      }
      const ref = (s: string): string | number => (/^\d+$/.test(s) ? Number(s) : s);
      const diff = await invoke(ctx, 'snapshots:diff', {
        from: ref(a),
        to: ref(b),
        ...(types.length > 0 ? { types: types as EntityType[] } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      if (values.csv) {
        ctx.out.write(diffToCsv(diff, { bom: values.bom === true }));
        if (diff.truncated) ctx.err.write('More entries were left out: raise --limit\n');
      } else {
        ctx.out.write(values.json ? JSON.stringify(diff, null, 2) + '\n' : formatDiff(diff));
      }
      return 0;
    }
    case 'delete': {
      const id = Number(args[0]);
      if (!Number.isInteger(id) || id <= 0)
        throw new AppError('VALIDATION', 'delete takes a snapshot id');
      await invoke(ctx, 'snapshots:delete', { id });
      ctx.out.write(`Deleted snapshot ${id}\n`);
      return 0;
    }
    case 'import': {
      const file = args[0];
      if (!file)
        throw new AppError('VALIDATION', 'import takes a file (JSON snapshot or RVTools .xlsx)');
      const format = values.format;
      if (format !== undefined && format !== 'json' && format !== 'rvtools') {
        throw new AppError('VALIDATION', '--format is json or rvtools');
      }
      // Progress on a TTY (a line redrawn at most every 100 ms); Ctrl-C cancels the import.
      const importId = `cli-${randomBytes(6).toString('hex')}`;
      const progress = progressLine(ctx);
      const unsubscribe = ctx.core.events.on('snapshots:importProgress', (p) => {
        if (!ctx.isTTY || p.importId !== importId || p.state !== 'running') return;
        const of = p.total !== undefined ? ` of ${p.total.toLocaleString('en-US')}` : '';
        progress.draw(`${p.phase}: ${p.done.toLocaleString('en-US')}${of}`);
      });
      const onAbort = (): void => {
        void invoke(ctx, 'snapshots:cancelImport', { importId }).catch(() => undefined);
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      let info: SnapshotInfo;
      try {
        info = await invoke(ctx, 'snapshots:import', {
          file,
          importId,
          ...(format ? { format } : {}),
          ...(values.label ? { label: values.label } : {}),
        });
      } finally {
        progress.clear();
        unsubscribe();
        ctx.signal.removeEventListener('abort', onAbort);
      }
      if (values.json) ctx.out.write(JSON.stringify(info, null, 2) + '\n');
      else
        ctx.out.write(
          `Imported snapshot ${info.id} "${info.label ?? ''}" (read-only): vm ${info.counts.vm ?? 0}, host ${info.counts.host ?? 0}\n`,
        );
      return 0;
    }
    default:
      throw new AppError('VALIDATION', `Unknown snapshot command "${sub}".\n${SNAPSHOT_HELP}`);
  }
}
