import type { Kysely } from 'kysely';
import type { CollectorFactory } from '../collectors/collector.js';
import type { EventHub, HandlerSlice } from '../contract/handlers.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/schema.js';
import type { VaultBackend } from '../vault/vault.js';
import type { EndpointDto } from '../../shared/endpoints.js';
import { AppError } from '../../shared/errors.js';

export interface EndpointsDeps {
  readonly db: Kysely<Database>;
  readonly vault: VaultBackend;
  readonly events: EventHub;
  readonly log: Logger;
  readonly now: () => Date;
  readonly collectors: Partial<Record<'vcenter' | 'esxi' | 'hyperv', CollectorFactory>>;
}

export type EndpointChannels =
  | 'endpoints:list'
  | 'endpoints:add'
  | 'endpoints:update'
  | 'endpoints:remove'
  | 'endpoints:test'
  | 'endpoints:trust'
  | 'sync:start'
  | 'sync:cancel';

export interface EndpointsCapability {
  readonly handlers: HandlerSlice<EndpointChannels>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

// TEMPORARY (lead): replaced by the endpoints/sync implementation in progress.
export function createEndpointsCapability(deps: EndpointsDeps): EndpointsCapability {
  const pending = (): Promise<never> => Promise.reject(new AppError('INTERNAL', 'pending'));
  return {
    handlers: {
      'endpoints:list': async () => {
        const rows = await deps.db.selectFrom('endpoint').selectAll().orderBy('name').execute();
        return rows.map(
          (r): EndpointDto => ({
            id: r.id,
            name: r.name,
            kind: r.kind as EndpointDto['kind'],
            host: r.host,
            port: r.port,
            username: r.username,
            tags: JSON.parse(r.tags) as string[],
            pollIntervalSeconds: r.poll_interval_s,
            enabled: r.enabled === 1,
            thumbprint: r.tls_thumbprint,
            useSsl: r.use_ssl === 1,
            notes: r.notes,
            credential: r.credential_state as EndpointDto['credential'],
            createdAt: r.created_at,
            updatedAt: r.updated_at,
            status: {
              lastSyncAt: null,
              lastStatus: null,
              lastError: null,
              lastDurationMs: null,
              nextRunAt: null,
              running: false,
              stale: false,
              circuitOpen: false,
              consecutiveFailures: 0,
            },
          }),
        );
      },
      'endpoints:add': pending,
      'endpoints:update': pending,
      'endpoints:remove': pending,
      'endpoints:test': pending,
      'endpoints:trust': pending,
      'sync:start': pending,
      'sync:cancel': pending,
    },
    start: () => Promise.resolve(),
    dispose: () => Promise.resolve(),
  };
}
