import type { Kysely } from 'kysely';
import type { ParsedInput } from '../../shared/contract.js';
import type { ConnectivityReport, EndpointDto, EndpointKind } from '../../shared/endpoints.js';
import { DEFAULT_PORTS } from '../../shared/endpoints.js';
import { ENTITY_TYPES } from '../../shared/entities.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { EventHub } from '../contract/handlers.js';
import type { DoctorDeps } from '../doctor/doctor.js';
import { runConnectivityTest } from '../doctor/doctor.js';
import { inspectTls, resolveHost } from '../doctor/probes.js';
import type { TrustDecision } from '../doctor/trust.js';
import { evaluateTrust } from '../doctor/trust.js';
import type { Logger } from '../logger.js';
import { normalizeThumbprint } from '../net/tls-trust.js';
import type { Database, EndpointRow, EndpointUpdate } from '../store/schema.js';
import { runSummary } from '../sync/runs.js';
import type { Scheduler } from '../sync/scheduler.js';
import { clearCredential, openCredential, storeCredential } from '../vault/credentials.js';
import type { VaultBackend } from '../vault/vault.js';
import { writeAudit } from './audit.js';
import { statusOf, toEndpointDto } from './dto.js';
import {
  deleteEndpoint,
  findEndpointById,
  findEndpointByNameCi,
  insertEndpoint,
  listEndpointRows,
  updateEndpoint,
} from './repository.js';

export interface EndpointServiceDeps {
  readonly db: Kysely<Database>;
  readonly vault: VaultBackend;
  readonly events: EventHub;
  readonly log: Logger;
  readonly now: () => Date;
  readonly scheduler: Scheduler;
  readonly circuitThreshold: number;
  /** Doctor tuning and probes (tests shorten timeouts and replace the login probe). */
  readonly doctor?: Omit<DoctorDeps, 'now' | 'onFirstUsePin'>;
}

export interface EndpointService {
  list(): Promise<EndpointDto[]>;
  get(id: number): Promise<EndpointDto>;
  add(input: ParsedInput<'endpoints:add'>, actor: string): Promise<EndpointDto>;
  update(input: ParsedInput<'endpoints:update'>, actor: string): Promise<EndpointDto>;
  remove(id: number, actor: string): Promise<void>;
  trust(id: number, thumbprint: string, actor: string): Promise<EndpointDto>;
  test(id: number, signal?: AbortSignal): Promise<ConnectivityReport>;
  /** Trust on first use before a sync: looks at the certificate and pins it. */
  pinFirstUse(row: EndpointRow, signal: AbortSignal): Promise<string | null>;
}

const TOFU_ACTOR = 'system:trust-on-first-use';

function usesTls(kind: string, useSsl: boolean): boolean {
  return kind === 'vcenter' || kind === 'esxi' || useSsl;
}

function defaultPort(kind: EndpointKind, useSsl: boolean): number {
  return kind === 'hyperv' && useSsl ? 5986 : DEFAULT_PORTS[kind];
}

function isUniqueViolation(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    String((e as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')
  );
}

export function createEndpointService(deps: EndpointServiceDeps): EndpointService {
  const { db, vault, events, log } = deps;

  const row = async (id: number): Promise<EndpointRow> => {
    const r = await findEndpointById(db, id);
    if (!r) throw new AppError('NOT_FOUND', `No endpoint with id ${id}.`);
    return r;
  };

  const dto = async (r: EndpointRow): Promise<EndpointDto> =>
    toEndpointDto(
      r,
      statusOf(
        r,
        await runSummary(db, r.id),
        deps.scheduler.status(r.id),
        deps.circuitThreshold,
        deps.now(),
      ),
    );

  const assertNameFree = async (name: string, exceptId: number | null): Promise<void> => {
    const clash = await findEndpointByNameCi(db, name);
    if (clash && clash.id !== exceptId) {
      throw new AppError(
        'CONFLICT',
        `An endpoint named "${clash.name}" already exists. Choose another name.`,
        {
          field: 'name',
        },
      );
    }
  };

  const assertCanSeal = async (): Promise<void> => {
    // A team store without its key (or with another) says so in its own words.
    await vault.prepare?.(db);
    if (!vault.canSeal()) {
      throw new AppError(
        'VAULT_UNAVAILABLE',
        `Passwords cannot be stored on this host: the vault (${vault.description}) is unavailable. Nothing was changed.`,
        { backend: vault.id },
      );
    }
  };

  const changed = (ids: number[]): void => {
    events.emit('endpoints:changed', { ids });
    deps.scheduler
      .refresh()
      .catch((e: unknown) => log.warn({ err: String(e) }, 'scheduler refresh failed'));
  };

  const storePin = async (r: EndpointRow, decision: TrustDecision): Promise<void> => {
    const at = deps.now();
    await db.transaction().execute(async (trx) => {
      await updateEndpoint(trx, r.id, {
        tls_thumbprint: decision.thumbprint,
        tls_trust_on_first_use: 0,
        updated_at: at.toISOString(),
      });
      await writeAudit(trx, {
        actor: TOFU_ACTOR,
        action: 'endpoint.trust',
        target: r.name,
        at,
        details: {
          via: 'first-use',
          fingerprint256: decision.facts.fingerprint256,
          subject: decision.facts.subject,
          issuer: decision.facts.issuer,
          validTo: decision.facts.validTo,
        },
      });
    });
    log.info(
      { endpoint: r.name, fingerprint256: decision.thumbprint },
      'pinned certificate on first use',
    );
    events.emit('endpoints:changed', { ids: [r.id] });
  };

  return {
    async list() {
      const rows = await listEndpointRows(db);
      return Promise.all(rows.map(dto));
    },

    async get(id) {
      return dto(await row(id));
    },

    async add(input, actor) {
      if (input.thumbprint && input.trustOnFirstUse) {
        throw new AppError('VALIDATION', 'Pin a thumbprint or trust on first use, not both.');
      }
      if (input.kind !== 'hyperv' && input.username === '') {
        throw new AppError('VALIDATION', `A user name is required for ${input.kind} endpoints.`, {
          field: 'username',
        });
      }
      const thumbprint = input.thumbprint ? normalizeThumbprint(input.thumbprint) : null;
      await assertNameFree(input.name, null);
      const password =
        input.password !== undefined && input.password !== '' ? input.password : null;
      if (password !== null) await assertCanSeal();
      const at = deps.now();
      const port = input.port ?? defaultPort(input.kind, input.useSsl);
      let id: number;
      try {
        id = await db.transaction().execute(async (trx) => {
          const newId = await insertEndpoint(trx, {
            name: input.name,
            kind: input.kind,
            host: input.host,
            port,
            username: input.username,
            tags: JSON.stringify([...new Set(input.tags)]),
            poll_interval_s: input.pollIntervalSeconds,
            enabled: input.enabled ? 1 : 0,
            tls_thumbprint: thumbprint,
            tls_trust_on_first_use: input.trustOnFirstUse ? 1 : 0,
            use_ssl: input.useSsl ? 1 : 0,
            file_info: input.fileInfo ? 1 : 0,
            notes: input.notes,
            credential_state: 'none',
            created_at: at.toISOString(),
            updated_at: at.toISOString(),
          });
          if (password !== null) await storeCredential(trx, vault, newId, password, at);
          await writeAudit(trx, {
            actor,
            action: 'endpoint.add',
            target: input.name,
            at,
            details: {
              kind: input.kind,
              host: input.host,
              port,
              username: input.username,
              tags: input.tags,
              pollIntervalSeconds: input.pollIntervalSeconds,
              enabled: input.enabled,
              thumbprint,
              trustOnFirstUse: input.trustOnFirstUse,
              useSsl: input.useSsl,
              fileInfo: input.fileInfo,
              credential: password !== null ? 'set' : 'none',
            },
          });
          return newId;
        });
      } catch (e) {
        if (isUniqueViolation(e))
          throw new AppError('CONFLICT', `An endpoint named "${input.name}" already exists.`);
        throw e;
      }
      log.info({ endpoint: input.name, kind: input.kind, actor }, 'endpoint added');
      changed([id]);
      return dto(await row(id));
    },

    async update(input, actor) {
      const before = await row(input.id);
      if (input.thumbprint && input.trustOnFirstUse) {
        throw new AppError('VALIDATION', 'Pin a thumbprint or trust on first use, not both.');
      }
      const set: EndpointUpdate = {};
      const details: Record<string, unknown> = {};
      const note = (field: string, value: unknown): void => {
        details[field] = value;
      };
      if (input.name !== undefined && input.name !== before.name) {
        await assertNameFree(input.name, before.id);
        set.name = input.name;
        note('name', { from: before.name, to: input.name });
      }
      if (input.host !== undefined && input.host !== before.host) {
        set.host = input.host;
        note('host', input.host);
      }
      if (input.port !== undefined && input.port !== before.port) {
        set.port = input.port;
        note('port', input.port);
      }
      if (input.username !== undefined && input.username !== before.username) {
        set.username = input.username;
        note('username', input.username);
      }
      if (input.tags !== undefined) {
        const tags = JSON.stringify([...new Set(input.tags)]);
        if (tags !== before.tags) {
          set.tags = tags;
          note('tags', input.tags);
        }
      }
      if (
        input.pollIntervalSeconds !== undefined &&
        input.pollIntervalSeconds !== before.poll_interval_s
      ) {
        set.poll_interval_s = input.pollIntervalSeconds;
        note('pollIntervalSeconds', input.pollIntervalSeconds);
      }
      if (input.enabled !== undefined && (input.enabled ? 1 : 0) !== before.enabled) {
        set.enabled = input.enabled ? 1 : 0;
        note('enabled', input.enabled);
      }
      if (input.useSsl !== undefined && (input.useSsl ? 1 : 0) !== before.use_ssl) {
        set.use_ssl = input.useSsl ? 1 : 0;
        note('useSsl', input.useSsl);
      }
      if (input.fileInfo !== undefined && (input.fileInfo ? 1 : 0) !== before.file_info) {
        set.file_info = input.fileInfo ? 1 : 0;
        note('fileInfo', input.fileInfo);
      }
      if (input.notes !== undefined && input.notes !== before.notes) {
        set.notes = input.notes;
        note('notes', input.notes);
      }
      if (input.thumbprint !== undefined) {
        const pin = input.thumbprint === null ? null : normalizeThumbprint(input.thumbprint);
        if (pin !== before.tls_thumbprint) {
          set.tls_thumbprint = pin;
          set.tls_trust_on_first_use = 0;
          note('thumbprint', { from: before.tls_thumbprint, to: pin });
        }
      }
      if (input.trustOnFirstUse === true) {
        // Re-pin at the next contact (the certificate was replaced on purpose).
        set.tls_thumbprint = null;
        set.tls_trust_on_first_use = 1;
        note('trustOnFirstUse', true);
      } else if (input.trustOnFirstUse === false && before.tls_trust_on_first_use === 1) {
        set.tls_trust_on_first_use = 0;
        note('trustOnFirstUse', false);
      }
      const password = input.password;
      if (password !== undefined && password !== '') await assertCanSeal();
      if (password !== undefined) note('credential', password === '' ? 'cleared' : 'replaced');
      if (Object.keys(details).length === 0) return dto(before);
      const at = deps.now();
      try {
        await db.transaction().execute(async (trx) => {
          await updateEndpoint(trx, before.id, { ...set, updated_at: at.toISOString() });
          if (password === '') await clearCredential(trx, before.id);
          else if (password !== undefined)
            await storeCredential(trx, vault, before.id, password, at);
          await writeAudit(trx, {
            actor,
            action: 'endpoint.update',
            target: set.name ?? before.name,
            at,
            details,
          });
        });
      } catch (e) {
        if (isUniqueViolation(e))
          throw new AppError('CONFLICT', `An endpoint named "${String(set.name)}" already exists.`);
        throw e;
      }
      log.info({ endpoint: before.name, fields: Object.keys(details), actor }, 'endpoint updated');
      changed([before.id]);
      return dto(await row(before.id));
    },

    async remove(id, actor) {
      const r = await row(id);
      await deps.scheduler.forget(id);
      const at = deps.now();
      await db.transaction().execute(async (trx) => {
        // Cascades to the credential, the inventory, its history and the sync runs.
        await deleteEndpoint(trx, id);
        await writeAudit(trx, {
          actor,
          action: 'endpoint.remove',
          target: r.name,
          at,
          details: { kind: r.kind, host: r.host, port: r.port },
        });
      });
      log.info({ endpoint: r.name, actor }, 'endpoint removed');
      events.emit('inventory:changed', {
        endpointId: id,
        types: [...ENTITY_TYPES],
        created: 0,
        updated: 0,
        deleted: 0,
      });
      changed([id]);
    },

    async trust(id, thumbprint, actor) {
      const r = await row(id);
      const pin = normalizeThumbprint(thumbprint);
      const at = deps.now();
      await db.transaction().execute(async (trx) => {
        await updateEndpoint(trx, id, {
          tls_thumbprint: pin,
          tls_trust_on_first_use: 0,
          updated_at: at.toISOString(),
        });
        await writeAudit(trx, {
          actor,
          action: 'endpoint.trust',
          target: r.name,
          at,
          details: { via: 'user', fingerprint256: pin, previous: r.tls_thumbprint },
        });
      });
      log.info({ endpoint: r.name, fingerprint256: pin, actor }, 'certificate pinned');
      changed([id]);
      return dto(await row(id));
    },

    async test(id, signal) {
      const r = await row(id);
      let password: string | null = null;
      let credentialError: AppError | null = null;
      try {
        password = await openCredential(db, vault, r);
      } catch (e) {
        if (!isAppError(e)) throw e;
        credentialError = e;
        events.emit('endpoints:changed', { ids: [id] });
      }
      const report = await runConnectivityTest(
        {
          name: r.name,
          kind: r.kind as EndpointKind,
          host: r.host,
          port: r.port,
          username: r.username,
          password,
          credentialError,
          thumbprint: r.tls_thumbprint,
          trustOnFirstUse: r.tls_trust_on_first_use === 1,
          useSsl: r.use_ssl === 1,
        },
        {
          ...deps.doctor,
          now: deps.now,
          ...(signal ? { signal } : {}),
          onFirstUsePin: (decision) => storePin(r, decision),
        },
      );
      // The expiry of the certificate the TLS step accepted, for the certificate-expiring rule.
      const validTo = report.steps.find((s) => s.id === 'tls' && s.status !== 'failed')?.facts?.[
        'validTo'
      ];
      if (typeof validTo === 'string' && validTo !== '' && validTo !== r.tls_valid_to) {
        await updateEndpoint(db, id, { tls_valid_to: validTo });
      }
      return report;
    },

    async pinFirstUse(r, signal) {
      if (!usesTls(r.kind, r.use_ssl === 1)) return r.tls_thumbprint;
      const opts = { timeoutMs: deps.doctor?.timeoutMs ?? 10_000, signal };
      const [address] = await resolveHost(r.host, opts);
      const seen = await inspectTls(address ?? r.host, r.port, r.host, opts);
      const decision = evaluateTrust(seen, {
        endpoint: r.name,
        host: r.host,
        port: r.port,
        pinned: null,
        trustOnFirstUse: true,
        now: deps.now(),
      });
      if (decision.via === 'first-use') await storePin(r, decision);
      return decision.thumbprint;
    },
  };
}
