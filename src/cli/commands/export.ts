import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { EntityType } from '../../shared/entities.js';
import { ENTITY_TYPES } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { ExportFormat } from '../../shared/export.js';
import { EXPORT_FORMATS } from '../../shared/export.js';
import type { Filter } from '../../shared/query.js';
import { parseFilter } from '../../shared/query.js';
import type { CliContext } from '../context.js';
import { invoke } from '../context.js';
import { progressLine } from '../progress.js';

export const EXPORT_HELP = `Usage: infrascope export --format xlsx|csv|json [--out PATH] [--endpoint NAME]
                        [--where FIELD=VALUE]... [--anonymize] [--snapshot ID|LABEL]
                        [--type TYPE]... [--bom]

  --format xlsx     a workbook shaped like RVTools' (vInfo, vCPU, vMemory, vDisk, vNetwork, ...)
  --format csv      one CSV per entity type, zipped (one --type: a plain .csv)
  --format json     the gzip JSON snapshot (import it with "infrascope snapshot import")
  --out PATH        the file to write (default: infrascope-DATE-TIME.xlsx|.zip|.json.gz here)
  --endpoint NAME   only this endpoint
  --where F=V       only VMs matching (fields of "infrascope query vms --fields"), with their
                    disks, NICs and snapshots; repeat to AND filters
  --anonymize       stable pseudonyms for names, IPs, DNS names and annotations
  --snapshot REF    export a saved snapshot (id or label) instead of the live inventory
  --type TYPE       CSV: only this entity type (${ENTITY_TYPES.join(', ')})
  --bom             CSV: start each file with a UTF-8 byte order mark (for Excel)

Progress goes to stderr (a bar on a terminal); the written path to stdout. The file is written
to a temporary name and renamed when complete: a failed or interrupted export leaves nothing.`;

const EXT: Record<ExportFormat, string> = { xlsx: '.xlsx', csv: '.zip', json: '.json.gz' };

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** `infrascope export ...` — writes an export file; suited to cron and Task Scheduler. */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      format: { type: 'string', short: 'f' },
      out: { type: 'string', short: 'o' },
      endpoint: { type: 'string' },
      where: { type: 'string', multiple: true, short: 'w' },
      anonymize: { type: 'boolean' },
      snapshot: { type: 'string' },
      type: { type: 'string', multiple: true },
      bom: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  void positionals;
  if (values.help) {
    ctx.out.write(EXPORT_HELP + '\n');
    return 0;
  }
  const format = values.format;
  if (!format || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new AppError('VALIDATION', `Give --format ${EXPORT_FORMATS.join('|')}.\n${EXPORT_HELP}`);
  }
  const where: Filter[] = [];
  for (const w of values.where ?? []) {
    try {
      where.push(parseFilter(w));
    } catch (e) {
      throw new AppError('VALIDATION', (e as Error).message);
    }
  }
  const types = values.type ?? [];
  for (const t of types) {
    if (!(ENTITY_TYPES as readonly string[]).includes(t)) {
      throw new AppError('VALIDATION', `Unknown type "${t}". Types: ${ENTITY_TYPES.join(', ')}`);
    }
  }
  if (types.length > 0 && format !== 'csv') {
    throw new AppError('VALIDATION', '--type applies to --format csv only');
  }
  const fmt = format as ExportFormat;
  const ext = fmt === 'csv' && types.length === 1 ? '.csv' : EXT[fmt];
  const out = values.out ?? `infrascope-${stamp(new Date())}${ext}`;
  const exportId = `cli-${randomBytes(6).toString('hex')}`;

  let lastPhase = '';
  const progress = progressLine(ctx);
  const unsubscribe = ctx.core.events.on('export:progress', (p) => {
    if (p.exportId !== exportId || p.state !== 'running') return;
    if (ctx.isTTY) {
      const total = p.total ?? 0;
      const frac = total > 0 ? Math.min(1, p.done / total) : 0;
      const count = (n: number): string => n.toLocaleString('en-US');
      progress.draw(
        `${String(Math.floor(frac * 100)).padStart(3)}% ${p.phase} ${count(p.done)}/${count(total)}`,
        { frac, force: p.phase !== lastPhase },
      );
      lastPhase = p.phase;
    } else if (p.phase !== lastPhase) {
      lastPhase = p.phase;
      if (p.phase !== 'start') {
        ctx.err.write(`${p.phase} ${p.done}/${p.total ?? '?'}\n`);
      }
    }
  });
  const onAbort = (): void => {
    void invoke(ctx, 'export:cancel', { exportId }).catch(() => undefined);
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await invoke(ctx, 'export:run', {
      format: fmt,
      out,
      exportId,
      where,
      anonymize: values.anonymize === true,
      bom: values.bom === true,
      ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
      ...(values.snapshot !== undefined ? { snapshot: values.snapshot } : {}),
      ...(types.length > 0 ? { types: types as EntityType[] } : {}),
    });
    progress.clear();
    const rows = Object.entries(result.rows)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    ctx.err.write(
      `Wrote ${result.bytes.toLocaleString('en-US')} bytes in ${(result.durationMs / 1000).toFixed(1)} s (${rows})\n`,
    );
    ctx.out.write(`${result.file}\n`);
    return 0;
  } catch (e) {
    progress.clear();
    throw e;
  } finally {
    unsubscribe();
    ctx.signal.removeEventListener('abort', onAbort);
  }
}
