import { parseArgs } from 'node:util';
import type { RequestInput } from '../../shared/contract.js';
import type {
  CheckStep,
  ConnectivityReport,
  EndpointDto,
  EndpointKind,
} from '../../shared/endpoints.js';
import { ENDPOINT_KINDS } from '../../shared/endpoints.js';
import { AppError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { cliActor, invoke } from '../context.js';

export const ENDPOINT_HELP = `Usage:
  infrascope endpoint list [--json]
  infrascope endpoint add NAME --type vcenter|esxi|hyperv --host HOST[:PORT] --username USER
                          (--password-stdin | --password-env VAR) [--tag TAG]... [--interval SECONDS]
                          [--thumbprint SHA256 | --trust-on-first-use] [--use-ssl] [--file-info]
                          [--notes TEXT] [--disabled] [--json]
  infrascope endpoint set NAME [--name NEW] [--host HOST[:PORT]] [--username USER]
                          [--password-stdin | --password-env VAR] [--tag TAG]... [--interval SECONDS]
                          [--thumbprint SHA256 | --no-thumbprint | --trust-on-first-use]
                          [--enable | --disable] [--use-ssl | --no-ssl]
                          [--file-info | --no-file-info] [--notes TEXT] [--json]
  infrascope endpoint remove NAME --yes
  infrascope endpoint test NAME [--json]

Passwords are read from standard input (--password-stdin) or an environment variable
(--password-env VAR), never from the command line. They are sealed in the vault at once.

--file-info makes every full sync of a vCenter or ESXi endpoint list its datastores' files too
(RVTools' vFileInfo sheet, \`infrascope query datastore-files\`). Off by default: the datastore
browser walks every folder of every datastore, which takes minutes on large estates. For one
sync only: \`infrascope sync NAME --file-info\`.`;

export { cliActor };

/** Finds endpoints by name (exact, else case-insensitive); unknown names fail with NOT_FOUND. */
export async function resolveEndpoints(
  ctx: CliContext,
  names: readonly string[],
): Promise<EndpointDto[]> {
  const all = await invoke(ctx, 'endpoints:list', {});
  return names.map((n) => {
    const hit =
      all.find((e) => e.name === n) ?? all.find((e) => e.name.toLowerCase() === n.toLowerCase());
    if (!hit) {
      throw new AppError(
        'NOT_FOUND',
        `No endpoint named "${n}".${all.length ? ` Known: ${all.map((e) => e.name).join(', ')}.` : ' Add one with `infrascope endpoint add`.'}`,
      );
    }
    return hit;
  });
}

/** HOST, HOST:PORT, [v6]:PORT or a bare IPv6 address. */
export function parseHostPort(value: string): { host: string; port?: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const v4 = /^([^:]+):(\d+)$/.exec(value);
  const m = v6 ?? v4;
  if (!m) return { host: value };
  const host = m[1] ?? value;
  if (m[2] === undefined) return { host };
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AppError('VALIDATION', `Invalid port in "${value}".`);
  }
  return { host, port };
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The password from stdin or an environment variable; undefined when neither was asked for. */
async function readPassword(
  ctx: CliContext,
  values: { 'password-stdin'?: boolean | undefined; 'password-env'?: string | undefined },
): Promise<string | undefined> {
  if (values['password-stdin'] && values['password-env'] !== undefined) {
    throw new AppError('VALIDATION', 'Use --password-stdin or --password-env, not both.');
  }
  if (values['password-stdin']) {
    const text = (await readAll(ctx.stdin)).replace(/\r?\n$/, '');
    if (text === '') throw new AppError('VALIDATION', 'No password on standard input.');
    return text;
  }
  const name = values['password-env'];
  if (name !== undefined) {
    const value = ctx.env[name];
    if (value === undefined || value === '') {
      throw new AppError('VALIDATION', `The environment variable ${name} is not set (or empty).`);
    }
    return value;
  }
  return undefined;
}

function parseInterval(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 30 || n > 86_400) {
    throw new AppError('VALIDATION', '--interval is a whole number of seconds from 30 to 86400.');
  }
  return n;
}

function onlyName(positionals: readonly string[], verb: string): string {
  const [name, extra] = positionals;
  if (name === undefined)
    throw new AppError('VALIDATION', `Name the endpoint to ${verb}.\n${ENDPOINT_HELP}`);
  if (extra !== undefined) throw new AppError('VALIDATION', `Unexpected argument "${extra}".`);
  return name;
}

const COMMON = {
  host: { type: 'string' },
  username: { type: 'string', short: 'u' },
  'password-stdin': { type: 'boolean' },
  'password-env': { type: 'string' },
  tag: { type: 'string', multiple: true },
  interval: { type: 'string' },
  thumbprint: { type: 'string' },
  'trust-on-first-use': { type: 'boolean' },
  'use-ssl': { type: 'boolean' },
  'file-info': { type: 'boolean' },
  notes: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function describe(e: EndpointDto): string {
  return `${e.name} (${e.kind} ${e.host}:${e.port}, credential ${e.credential}${e.thumbprint ? ', certificate pinned' : ''})`;
}

async function add(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON, type: { type: 'string', short: 't' }, disabled: { type: 'boolean' } },
  });
  const name = onlyName(positionals, 'add');
  const kind = values.type;
  if (!kind || !(ENDPOINT_KINDS as readonly string[]).includes(kind)) {
    throw new AppError('VALIDATION', `--type is one of ${ENDPOINT_KINDS.join(', ')}.`);
  }
  if (!values.host) throw new AppError('VALIDATION', '--host is required.');
  const password = await readPassword(ctx, values);
  if (password === undefined && kind !== 'hyperv') {
    throw new AppError(
      'VALIDATION',
      'Give the password with --password-stdin or --password-env VAR.',
    );
  }
  const { host, port } = parseHostPort(values.host);
  const interval = parseInterval(values.interval);
  const dto = await invoke(ctx, 'endpoints:add', {
    name,
    kind: kind as EndpointKind,
    host,
    ...(port === undefined ? {} : { port }),
    username: values.username ?? '',
    ...(password === undefined ? {} : { password }),
    tags: values.tag ?? [],
    ...(interval === undefined ? {} : { pollIntervalSeconds: interval }),
    enabled: !values.disabled,
    ...(values.thumbprint ? { thumbprint: values.thumbprint } : {}),
    trustOnFirstUse: values['trust-on-first-use'] ?? false,
    useSsl: values['use-ssl'] ?? false,
    fileInfo: values['file-info'] ?? false,
    notes: values.notes ?? '',
  });
  if (values.json) {
    ctx.out.write(JSON.stringify(dto, null, 2) + '\n');
    return 0;
  }
  ctx.out.write(`Added ${describe(dto)}.\n`);
  if (values['trust-on-first-use'])
    ctx.out.write('Its certificate will be pinned on first contact.\n');
  ctx.out.write(`Check it with: infrascope endpoint test ${JSON.stringify(dto.name)}\n`);
  return 0;
}

async function set(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...COMMON,
      name: { type: 'string' },
      'no-thumbprint': { type: 'boolean' },
      enable: { type: 'boolean' },
      disable: { type: 'boolean' },
      'no-ssl': { type: 'boolean' },
      'no-file-info': { type: 'boolean' },
      'clear-tags': { type: 'boolean' },
    },
  });
  const [ep] = await resolveEndpoints(ctx, [onlyName(positionals, 'change')]);
  if (!ep) return 1;
  if (values.enable && values.disable)
    throw new AppError('VALIDATION', 'Use --enable or --disable, not both.');
  if (values.thumbprint && values['no-thumbprint']) {
    throw new AppError('VALIDATION', 'Use --thumbprint or --no-thumbprint, not both.');
  }
  const password = await readPassword(ctx, values);
  const hp = values.host ? parseHostPort(values.host) : null;
  const interval = parseInterval(values.interval);
  const input: RequestInput<'endpoints:update'> = {
    id: ep.id,
    ...(values.name ? { name: values.name } : {}),
    ...(hp ? { host: hp.host, ...(hp.port === undefined ? {} : { port: hp.port }) } : {}),
    ...(values.username !== undefined ? { username: values.username } : {}),
    ...(password === undefined ? {} : { password }),
    ...(values.tag || values['clear-tags'] ? { tags: values.tag ?? [] } : {}),
    ...(interval === undefined ? {} : { pollIntervalSeconds: interval }),
    ...(values.thumbprint ? { thumbprint: values.thumbprint } : {}),
    ...(values['no-thumbprint'] ? { thumbprint: null } : {}),
    ...(values['trust-on-first-use'] ? { trustOnFirstUse: true } : {}),
    ...(values.enable ? { enabled: true } : {}),
    ...(values.disable ? { enabled: false } : {}),
    ...(values['use-ssl'] ? { useSsl: true } : {}),
    ...(values['no-ssl'] ? { useSsl: false } : {}),
    ...(values['file-info'] ? { fileInfo: true } : {}),
    ...(values['no-file-info'] ? { fileInfo: false } : {}),
    ...(values.notes !== undefined ? { notes: values.notes } : {}),
  };
  if (Object.keys(input).length === 1)
    throw new AppError('VALIDATION', `Nothing to change.\n${ENDPOINT_HELP}`);
  const dto = await invoke(ctx, 'endpoints:update', input);
  if (values.json) ctx.out.write(JSON.stringify(dto, null, 2) + '\n');
  else ctx.out.write(`Updated ${describe(dto)}.\n`);
  return 0;
}

function age(iso: string | null): string {
  if (!iso) return 'never';
  return iso.replace('T', ' ').slice(0, 19);
}

async function list(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } } });
  const all = await invoke(ctx, 'endpoints:list', {});
  // On a team store without its key here: the list reads, but say why nothing will sync.
  const key = (await invoke(ctx, 'app:info', {})).storeKey;
  if (key?.message)
    ctx.err.write(
      `Note [${key.state === 'missing' ? 'STORE_KEY_MISSING' : 'STORE_KEY_MISMATCH'}]: ${key.message}\n`,
    );
  if (values.json) {
    ctx.out.write(JSON.stringify(all, null, 2) + '\n');
    return 0;
  }
  if (all.length === 0) {
    ctx.out.write(
      'No endpoints yet. Add one with `infrascope endpoint add NAME --type vcenter ...`.\n',
    );
    return 0;
  }
  const rows = all.map((e) => [
    e.name,
    e.kind,
    `${e.host}:${e.port}`,
    e.username,
    e.credential === 'reenter' ? 're-enter!' : e.credential,
    e.enabled ? `${e.pollIntervalSeconds}s` : 'disabled',
    age(e.status.lastSyncAt),
    [
      e.status.lastStatus ?? '-',
      e.status.stale ? 'STALE' : '',
      e.status.circuitOpen ? 'PAUSED' : '',
    ]
      .filter(Boolean)
      .join(' '),
    e.tags.join(','),
  ]);
  const head = [
    'NAME',
    'KIND',
    'HOST',
    'USER',
    'CREDENTIAL',
    'INTERVAL',
    'LAST SYNC',
    'STATUS',
    'TAGS',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  ctx.out.write([fmt(head), ...rows.map(fmt)].join('\n') + '\n');
  return 0;
}

async function remove(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { yes: { type: 'boolean', short: 'y' } },
  });
  const [ep] = await resolveEndpoints(ctx, [onlyName(positionals, 'remove')]);
  if (!ep) return 1;
  if (!values.yes) {
    ctx.err.write(
      `Removing "${ep.name}" deletes its stored password, its inventory and its history. ` +
        `Run again with --yes to confirm: infrascope endpoint remove ${JSON.stringify(ep.name)} --yes\n`,
    );
    return 2;
  }
  await invoke(ctx, 'endpoints:remove', { id: ep.id });
  ctx.out.write(`Removed ${ep.name}.\n`);
  return 0;
}

const MARK: Record<CheckStep['status'], string> = {
  ok: '✓',
  warning: '!',
  failed: '✗',
  skipped: '-',
};

export function formatReport(r: ConnectivityReport): string {
  const width = Math.max(...r.steps.map((s) => s.label.length));
  const lines = [
    `Connectivity test of ${r.endpoint} (${r.kind} ${r.host}:${r.port}), ${r.startedAt}`,
  ];
  for (const s of r.steps) {
    const ms = s.status === 'skipped' ? '' : `${s.durationMs} ms`;
    lines.push(`  ${MARK[s.status]} ${s.label.padEnd(width)}  ${ms.padStart(8)}  ${s.detail}`);
  }
  lines.push(
    r.ok
      ? 'Result: OK'
      : `Result: FAILED (${r.steps.find((s) => s.status === 'failed')?.error?.code ?? 'unknown'})`,
  );
  return lines.join('\n') + '\n';
}

async function test(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  const [ep] = await resolveEndpoints(ctx, [onlyName(positionals, 'test')]);
  if (!ep) return 1;
  const report = await invoke(ctx, 'endpoints:test', { id: ep.id });
  ctx.out.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
  return report.ok ? 0 : 1;
}

/** `infrascope endpoint list|add|set|remove|test ...` */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list':
    case 'ls':
      return list(ctx, rest);
    case 'add':
      return add(ctx, rest);
    case 'set':
      return set(ctx, rest);
    case 'remove':
    case 'rm':
      return remove(ctx, rest);
    case 'test':
      return test(ctx, rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      ctx.out.write(ENDPOINT_HELP + '\n');
      return sub === undefined ? 2 : 0;
    default:
      throw new AppError('VALIDATION', `Unknown endpoint command "${sub}".\n${ENDPOINT_HELP}`);
  }
}
