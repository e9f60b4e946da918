import { z } from 'zod';
import type { SerializedError } from './errors.js';
import { request, returns } from './channel.js';

export const ENDPOINT_KINDS = ['vcenter', 'esxi', 'hyperv'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

export const DEFAULT_PORTS: Record<EndpointKind, number> = {
  vcenter: 443,
  esxi: 443,
  hyperv: 5985,
};

export const CREDENTIAL_STATES = ['set', 'none', 'reenter'] as const;
/** What the renderer may know of a credential: whether it is set, never the secret. */
export type CredentialState = (typeof CREDENTIAL_STATES)[number];

const name = z
  .string()
  .trim()
  .min(1, 'Name is required')
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._ -]*$/, 'Use letters, digits, dot, dash, underscore and spaces');
const host = z
  .string()
  .trim()
  .min(1, 'Host is required')
  .max(253)
  .regex(/^[A-Za-z0-9.:\-[\]_]+$/, 'Host is a DNS name or an IP address');
const thumbprint = z
  .string()
  .trim()
  .regex(
    /^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/,
    'A SHA-256 thumbprint is 64 hex digits (colons optional)',
  );

/** The fields without defaults: an update must leave out what the user did not change. */
const endpointFields = {
  name,
  kind: z.enum(ENDPOINT_KINDS),
  host,
  port: z.number().int().min(1).max(65535).optional(),
  username: z.string().trim().max(256),
  /** Travels renderer → core once, is sealed at once and never sent back. */
  password: z.string().max(1024).optional(),
  tags: z.array(z.string().trim().min(1).max(64)).max(50),
  pollIntervalSeconds: z.number().int().min(30).max(86_400),
  enabled: z.boolean(),
  thumbprint: thumbprint.nullable().optional(),
  trustOnFirstUse: z.boolean(),
  useSsl: z.boolean(),
  /**
   * Full syncs list every datastore's files too (RVTools' vFileInfo). vSphere only; off by
   * default, as the datastore browser walks every folder and takes minutes on large estates.
   */
  fileInfo: z.boolean(),
  notes: z.string().max(4000),
};

export const endpointInputSchema = z.object({
  ...endpointFields,
  username: endpointFields.username.default(''),
  tags: endpointFields.tags.default([]),
  pollIntervalSeconds: endpointFields.pollIntervalSeconds.default(900),
  enabled: endpointFields.enabled.default(true),
  trustOnFirstUse: endpointFields.trustOnFirstUse.default(false),
  useSsl: endpointFields.useSsl.default(false),
  fileInfo: endpointFields.fileInfo.default(false),
  notes: endpointFields.notes.default(''),
});
export type EndpointInput = z.input<typeof endpointInputSchema>;

// Built from the default-free fields: with defaults, `{ id, notes }` would reset tags, interval...
export const endpointUpdateSchema = z
  .object(endpointFields)
  .omit({ kind: true })
  .partial()
  .extend({ id: z.number().int().positive() });
export type EndpointUpdateInput = z.input<typeof endpointUpdateSchema>;

/**
 * What the server says it is (vim25 `ServiceContent.about` at login): vSource and every sheet's
 * "VI SDK UUID" / "VI SDK API Version" columns read it. Null for endpoints that have no such
 * thing (Hyper-V) and before the first successful sync.
 */
export const endpointAboutSchema = z.object({
  name: z.string().nullable(),
  fullName: z.string().nullable(),
  vendor: z.string().nullable(),
  version: z.string().nullable(),
  build: z.string().nullable(),
  osType: z.string().nullable(),
  productLineId: z.string().nullable(),
  apiType: z.string().nullable(),
  apiVersion: z.string().nullable(),
  instanceUuid: z.string().nullable(),
  /** `licenseProductName` / `licenseProductVersion`; absent from what older syncs stored. */
  licenseProductName: z.string().nullable().default(null),
  licenseProductVersion: z.string().nullable().default(null),
});
export type EndpointAbout = z.infer<typeof endpointAboutSchema>;

export interface EndpointStatus {
  readonly lastSyncAt: string | null;
  readonly lastStatus: 'running' | 'succeeded' | 'failed' | 'cancelled' | null;
  readonly lastError: SerializedError | null;
  readonly lastDurationMs: number | null;
  readonly nextRunAt: string | null;
  readonly running: boolean;
  readonly stale: boolean;
  readonly circuitOpen: boolean;
  readonly consecutiveFailures: number;
}

export interface EndpointDto {
  readonly id: number;
  readonly name: string;
  readonly kind: EndpointKind;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly tags: readonly string[];
  readonly pollIntervalSeconds: number;
  readonly enabled: boolean;
  readonly thumbprint: string | null;
  readonly useSsl: boolean;
  /** Full syncs list the datastores' files (vSphere; slow on large estates). */
  readonly fileInfo: boolean;
  readonly notes: string;
  readonly credential: CredentialState;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly status: EndpointStatus;
}

/** `local` (this machine's prerequisites: PowerShell for Hyper-V) runs first, before the network. */
export const CHECK_STEPS = ['local', 'dns', 'tcp', 'tls', 'api', 'login', 'permission'] as const;
export type CheckStepId = (typeof CHECK_STEPS)[number];

export interface CheckStep {
  readonly id: CheckStepId;
  readonly label: string;
  readonly status: 'ok' | 'warning' | 'failed' | 'skipped';
  readonly durationMs: number;
  /** What was found, in words an operator acts on. */
  readonly detail: string;
  readonly error?: SerializedError;
  readonly facts?: Readonly<Record<string, string | number | boolean | null>>;
}

export interface ConnectivityReport {
  readonly endpoint: string;
  readonly kind: EndpointKind;
  readonly host: string;
  readonly port: number;
  readonly startedAt: string;
  readonly ok: boolean;
  readonly steps: readonly CheckStep[];
}

const endpointId = z.object({ id: z.number().int().positive() }).strict();

/** The endpoints' slice of the contract. */
export const endpointChannels = {
  'endpoints:list': request(z.object({}).strict(), returns<readonly EndpointDto[]>()),
  'endpoints:add': request(endpointInputSchema.strict(), returns<EndpointDto>()),
  'endpoints:update': request(endpointUpdateSchema.strict(), returns<EndpointDto>()),
  'endpoints:remove': request(endpointId, returns<{ removed: true }>()),
  'endpoints:test': request(endpointId, returns<ConnectivityReport>()),
  'endpoints:trust': request(
    z.object({ id: z.number().int().positive(), thumbprint: z.string().min(64).max(95) }).strict(),
    returns<EndpointDto>(),
  ),
};
