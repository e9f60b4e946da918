import type {
  EndpointDto,
  EndpointInput,
  EndpointKind,
  EndpointUpdateInput,
} from '../../../shared/endpoints.js';
import { DEFAULT_PORTS, endpointInputSchema } from '../../../shared/endpoints.js';
import { isAppError } from '../../../shared/errors.js';
import { errorText } from '../format.js';

/** The form as typed: strings for the number and list fields, so half-typed values survive. */
export interface EndpointFormValues {
  name: string;
  kind: EndpointKind;
  host: string;
  /** Blank: the kind's default port. */
  port: string;
  username: string;
  /** Never pre-filled; blank on edit keeps the stored password. */
  password: string;
  /** Comma separated. */
  tags: string;
  pollIntervalSeconds: string;
  enabled: boolean;
  thumbprint: string;
  trustOnFirstUse: boolean;
  useSsl: boolean;
  /** vSphere: full syncs list the datastores' files (RVTools' vFileInfo). */
  fileInfo: boolean;
  notes: string;
}

export type EndpointField = keyof EndpointFormValues;
export type FieldErrors = Partial<Record<EndpointField | 'form', string>>;

const FIELDS: readonly EndpointField[] = [
  'name',
  'kind',
  'host',
  'port',
  'username',
  'password',
  'tags',
  'pollIntervalSeconds',
  'enabled',
  'thumbprint',
  'trustOnFirstUse',
  'useSsl',
  'fileInfo',
  'notes',
];

function isField(value: unknown): value is EndpointField {
  return typeof value === 'string' && (FIELDS as readonly string[]).includes(value);
}

export function emptyForm(): EndpointFormValues {
  return {
    name: '',
    kind: 'vcenter',
    host: '',
    port: '',
    username: '',
    password: '',
    tags: '',
    pollIntervalSeconds: '900',
    enabled: true,
    thumbprint: '',
    trustOnFirstUse: false,
    useSsl: false,
    fileInfo: false,
    notes: '',
  };
}

/** The form for editing an endpoint: everything but the password, which the renderer never has. */
export function formFromEndpoint(ep: EndpointDto): EndpointFormValues {
  return {
    name: ep.name,
    kind: ep.kind,
    host: ep.host,
    port: String(ep.port),
    username: ep.username,
    password: '',
    tags: ep.tags.join(', '),
    pollIntervalSeconds: String(ep.pollIntervalSeconds),
    enabled: ep.enabled,
    thumbprint: ep.thumbprint ?? '',
    trustOnFirstUse: false,
    useSsl: ep.useSsl,
    fileInfo: ep.fileInfo,
    notes: ep.notes,
  };
}

export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  for (const t of text.split(',')) {
    const tag = t.trim();
    if (tag) seen.add(tag);
  }
  return [...seen];
}

function parseInteger(text: string): number | null {
  const t = text.trim().replace(/[,_\s]/g, '');
  return /^\d+$/.test(t) ? Number(t) : null;
}

export type FormResult<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

/**
 * Checks the form in the browser with the contract's own schema (so the messages match what the
 * core would say) and turns it into an `endpoints:add` input.
 */
export function toEndpointInput(v: EndpointFormValues): FormResult<EndpointInput> {
  const errors: FieldErrors = {};
  let port: number | undefined;
  if (v.port.trim()) {
    const p = parseInteger(v.port);
    if (p === null || p < 1 || p > 65535) errors.port = 'Port is a number from 1 to 65535';
    else port = p;
  }
  const poll = parseInteger(v.pollIntervalSeconds);
  if (poll === null || poll < 30 || poll > 86_400) {
    errors.pollIntervalSeconds = 'Poll interval is a whole number of seconds from 30 to 86400';
  }
  const tags = parseTags(v.tags);
  if (tags.some((t) => t.length > 64)) errors.tags = 'A tag has at most 64 characters';
  else if (tags.length > 50) errors.tags = 'At most 50 tags';
  if (v.thumbprint.trim() && v.trustOnFirstUse) {
    errors.trustOnFirstUse = 'Pin a thumbprint or trust on first use, not both';
  }

  const input: EndpointInput = {
    name: v.name.trim(),
    kind: v.kind,
    host: v.host.trim(),
    ...(port !== undefined ? { port } : {}),
    username: v.username.trim(),
    ...(v.password ? { password: v.password } : {}),
    tags,
    pollIntervalSeconds: poll ?? 900,
    enabled: v.enabled,
    thumbprint: v.thumbprint.trim() ? v.thumbprint.trim() : null,
    trustOnFirstUse: v.trustOnFirstUse,
    useSsl: v.kind === 'hyperv' ? v.useSsl : false,
    fileInfo: v.kind === 'hyperv' ? false : v.fileInfo,
    notes: v.notes,
  };
  const parsed = endpointInputSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0];
      const field: EndpointField | 'form' = isField(key) ? key : 'form';
      errors[field] ??= issue.message;
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value: input };
}

/**
 * The `endpoints:update` input for an edit: only what changed, so an untouched field is never
 * rewritten, and the password only when the user typed a new one.
 */
export function toEndpointUpdate(
  original: EndpointDto,
  v: EndpointFormValues,
): FormResult<EndpointUpdateInput> {
  const checked = toEndpointInput({ ...v, kind: original.kind });
  if (!checked.ok) return checked;
  const next = checked.value;
  const patch: EndpointUpdateInput = { id: original.id };
  if (next.name !== original.name) patch.name = next.name;
  if (next.host !== original.host) patch.host = next.host;
  const port = next.port ?? DEFAULT_PORTS[original.kind];
  if (port !== original.port) patch.port = port;
  if (next.username !== original.username) patch.username = next.username;
  if (next.password) patch.password = next.password;
  const tags = next.tags ?? [];
  if (tags.join('\u0000') !== original.tags.join('\u0000')) patch.tags = tags;
  if (next.pollIntervalSeconds !== original.pollIntervalSeconds) {
    patch.pollIntervalSeconds = next.pollIntervalSeconds;
  }
  if (next.enabled !== original.enabled) patch.enabled = next.enabled;
  const thumbprint = next.thumbprint ?? null;
  if (normalizeThumbprint(thumbprint) !== normalizeThumbprint(original.thumbprint)) {
    patch.thumbprint = thumbprint;
  }
  if (next.trustOnFirstUse) patch.trustOnFirstUse = true;
  if (original.kind === 'hyperv' && next.useSsl !== original.useSsl) patch.useSsl = next.useSsl;
  if (original.kind !== 'hyperv' && next.fileInfo !== original.fileInfo)
    patch.fileInfo = next.fileInfo;
  if (next.notes !== original.notes) patch.notes = next.notes;
  return { ok: true, value: patch };
}

function normalizeThumbprint(t: string | null): string {
  return (t ?? '').replace(/[^0-9A-Fa-f]/g, '').toUpperCase();
}

/**
 * Places a server error on the field it is about where possible: VALIDATION issues read
 * `path: message`; a CONFLICT is about the name unless its details say otherwise.
 */
export function fieldErrorsFromServer(e: unknown): FieldErrors {
  const err = isAppError(e) ? e : null;
  const message = errorText(e);
  const details = err?.details ?? {};
  const errors: FieldErrors = {};
  const named = details['field'];
  if (err?.code === 'VALIDATION') {
    const issues = Array.isArray(details['issues']) ? (details['issues'] as unknown[]) : [];
    for (const issue of issues) {
      if (typeof issue !== 'string') continue;
      const m = /^([A-Za-z]+)[.\w]*:\s*(.*)$/s.exec(issue);
      const key = m?.[1];
      if (m && isField(key)) errors[key] ??= m[2] ?? issue;
      else errors.form ??= issue;
    }
    if (isField(named)) errors[named] ??= message;
  } else if (err?.code === 'CONFLICT') {
    errors[isField(named) ? named : 'name'] = message;
  } else if (err?.code === 'VAULT_UNAVAILABLE' || err?.code === 'VAULT_LOCKED') {
    errors.password = message;
  } else if (isField(named)) {
    errors[named] = message;
  }
  if (Object.keys(errors).length === 0) errors.form = message;
  return errors;
}
