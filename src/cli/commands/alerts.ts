import { parseArgs } from 'node:util';
import type { AlertDto } from '../../shared/alerts.js';
import { ALERT_SEVERITIES } from '../../shared/alerts.js';
import { AppError } from '../../shared/errors.js';
import type { QueryRow } from '../../shared/query.js';
import type { CliContext } from '../context.js';
import { toTable } from '../output.js';
import { resolveEndpoints } from './endpoint.js';
import { invoke } from '../context.js';

export const ALERTS_HELP = `Usage:
  infrascope alerts [list] [--all | --cleared] [--severity info|warning|critical]
                    [--endpoint NAME] [--rule RULE] [--snoozed] [--evaluate] [--json]
  infrascope alerts ack ID... [--comment TEXT]
  infrascope alerts snooze ID... --minutes N      (0 ends the snooze)
  infrascope alerts history ID [--json]
  infrascope alerts rules [--json]
  infrascope alerts rule RULE [--enable | --disable] [--set NAME=VALUE]... [--json]

Open alerts (active and acknowledged) by default, most severe first. --evaluate runs the rules
first. "infrascope query alerts" filters and exports alerts like any other kind.`;

function parseIds(args: readonly string[]): number[] {
  if (args.length === 0) throw new AppError('VALIDATION', 'Name at least one alert ID.');
  return args.map((a) => {
    const n = Number(a.replace(/^#/, ''));
    if (!Number.isInteger(n) || n <= 0) throw new AppError('VALIDATION', `Not an alert ID: ${a}`);
    return n;
  });
}

function alertRows(alerts: readonly AlertDto[]): QueryRow[] {
  return alerts.map((a) => ({
    id: a.id,
    severity: a.severity,
    state: a.snoozedUntil ? `${a.state} (snoozed)` : a.state,
    rule: a.rule,
    endpoint: a.endpoint,
    object: a.entityName,
    count: a.count,
    raised: a.raisedAt.slice(0, 16).replace('T', ' '),
    message: a.message,
  }));
}

function table(rows: readonly QueryRow[], columns: readonly string[]): string {
  return toTable(
    {
      kind: 'alerts',
      rows,
      total: rows.length,
      fields: columns.map((name) => ({ name, type: 'text', label: name })),
    },
    columns,
  );
}

/** `infrascope alerts ...` */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      all: { type: 'boolean' },
      cleared: { type: 'boolean' },
      severity: { type: 'string' },
      endpoint: { type: 'string' },
      rule: { type: 'string' },
      snoozed: { type: 'boolean' },
      evaluate: { type: 'boolean' },
      comment: { type: 'string' },
      minutes: { type: 'string' },
      enable: { type: 'boolean' },
      disable: { type: 'boolean' },
      set: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    ctx.out.write(ALERTS_HELP + '\n');
    return 0;
  }
  const [sub = 'list', ...args] = positionals;
  const print = (json: unknown, text: string): void => {
    ctx.out.write(values.json ? JSON.stringify(json, null, 2) + '\n' : text);
  };

  switch (sub) {
    case 'list': {
      const severity = values.severity;
      if (severity !== undefined && !(ALERT_SEVERITIES as readonly string[]).includes(severity)) {
        throw new AppError('VALIDATION', `Severity is one of ${ALERT_SEVERITIES.join(', ')}.`);
      }
      const endpointId = values.endpoint
        ? (await resolveEndpoints(ctx, [values.endpoint]))[0]?.id
        : undefined;
      if (values.evaluate) await invoke(ctx, 'alerts:evaluate', endpointId ? { endpointId } : {});
      const alerts = await invoke(ctx, 'alerts:list', {
        state: values.all ? 'all' : values.cleared ? 'cleared' : 'open',
        includeSnoozed: values.snoozed ?? false,
        ...(severity ? { severity: severity as AlertDto['severity'] } : {}),
        ...(endpointId ? { endpointId } : {}),
        ...(values.rule ? { rule: values.rule } : {}),
      });
      print(
        alerts,
        alerts.length === 0
          ? 'No alerts.\n'
          : table(alertRows(alerts), [
              'id',
              'severity',
              'state',
              'rule',
              'object',
              'count',
              'raised',
              'message',
            ]),
      );
      return 0;
    }
    case 'ack': {
      const ids = parseIds(args);
      const r = await invoke(ctx, 'alerts:ack', {
        ids,
        ...(values.comment ? { comment: values.comment } : {}),
      });
      print(r, `Acknowledged ${r.updated} of ${ids.length} alert(s).\n`);
      return r.updated === ids.length ? 0 : 1;
    }
    case 'snooze': {
      const ids = parseIds(args);
      const minutes = Number(values.minutes);
      if (values.minutes === undefined || !Number.isInteger(minutes) || minutes < 0) {
        throw new AppError('VALIDATION', 'Give --minutes N (0 ends the snooze).');
      }
      const r = await invoke(ctx, 'alerts:snooze', { ids, minutes });
      print(r, `${minutes ? 'Snoozed' : 'Unsnoozed'} ${r.updated} of ${ids.length} alert(s).\n`);
      return r.updated === ids.length ? 0 : 1;
    }
    case 'history': {
      const [id] = parseIds(args);
      const h = await invoke(ctx, 'alerts:history', { id: id! });
      print(
        h,
        table(
          h.map((e) => ({ at: e.at, action: e.action, by: e.actor, comment: e.comment })),
          ['at', 'action', 'by', 'comment'],
        ),
      );
      return 0;
    }
    case 'rules': {
      const rules = await invoke(ctx, 'alerts:rules', {});
      print(
        rules,
        table(
          rules.map((r) => ({
            rule: r.rule,
            enabled: r.enabled ? 'yes' : 'no',
            thresholds: Object.entries(r.params)
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
            scope:
              [...r.endpointIds.map((i) => `endpoint ${i}`), ...r.tags.map((t) => `tag ${t}`)].join(
                ', ',
              ) || 'all',
            title: r.title,
          })),
          ['rule', 'enabled', 'thresholds', 'scope', 'title'],
        ),
      );
      return 0;
    }
    case 'rule': {
      const [rule] = args;
      if (!rule) throw new AppError('VALIDATION', 'Name a rule (see "infrascope alerts rules").');
      const params: Record<string, number> = {};
      for (const s of values.set ?? []) {
        const m = /^([A-Za-z]+)=(-?\d+(?:\.\d+)?)$/.exec(s);
        if (!m) throw new AppError('VALIDATION', `--set takes NAME=NUMBER, got ${s}`);
        params[m[1]!] = Number(m[2]);
      }
      const updated = await invoke(ctx, 'alerts:updateRule', {
        rule: rule as never,
        ...(values.enable ? { enabled: true } : values.disable ? { enabled: false } : {}),
        ...(Object.keys(params).length ? { params } : {}),
      });
      print(
        updated,
        `${updated.rule}: ${updated.enabled ? 'enabled' : 'disabled'}; ${Object.entries(
          updated.params,
        )
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}\n`,
      );
      return 0;
    }
    default:
      throw new AppError('VALIDATION', `Unknown alerts command "${sub}".\n${ALERTS_HELP}`);
  }
}
