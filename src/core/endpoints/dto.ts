import type {
  CredentialState,
  EndpointDto,
  EndpointKind,
  EndpointStatus,
} from '../../shared/endpoints.js';
import { CREDENTIAL_STATES } from '../../shared/endpoints.js';
import type { ErrorCode } from '../../shared/errors.js';
import type { EndpointRow } from '../store/schema.js';
import type { RunSummary } from '../sync/runs.js';
import type { EndpointSchedule } from '../sync/scheduler.js';

function credentialState(value: string): CredentialState {
  return (CREDENTIAL_STATES as readonly string[]).includes(value)
    ? (value as CredentialState)
    : 'none';
}

function parseTags(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Status card data: the last full run from the store, live state from the scheduler (running,
 * next run, circuit), and staleness — the last good data is older than three intervals.
 */
export function statusOf(
  row: EndpointRow,
  runs: RunSummary,
  schedule: EndpointSchedule | null,
  circuitThreshold: number,
  now: Date,
): EndpointStatus {
  const last = runs.last;
  const lastGood = Math.max(
    runs.lastGoodAt ? Date.parse(runs.lastGoodAt) : 0,
    schedule?.lastGoodAt ?? 0,
  );
  const failures = schedule?.consecutiveFailures ?? runs.consecutiveFailures;
  return {
    lastSyncAt: last ? (last.ended_at ?? last.started_at) : null,
    lastStatus: last ? (last.status as EndpointStatus['lastStatus']) : null,
    lastError:
      last?.error_code != null
        ? { code: last.error_code as ErrorCode, message: last.error_message ?? '' }
        : null,
    lastDurationMs: last?.duration_ms ?? null,
    nextRunAt: schedule?.nextRunAt != null ? new Date(schedule.nextRunAt).toISOString() : null,
    running: schedule?.running ?? false,
    stale: lastGood > 0 && now.getTime() - lastGood > 3 * row.poll_interval_s * 1000,
    circuitOpen: schedule?.circuitOpen ?? failures >= circuitThreshold,
    consecutiveFailures: failures,
  };
}

/** Maps a row to what clients see: whether a credential is set, never the secret. */
export function toEndpointDto(row: EndpointRow, status: EndpointStatus): EndpointDto {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as EndpointKind,
    host: row.host,
    port: row.port,
    username: row.username,
    tags: parseTags(row.tags),
    pollIntervalSeconds: row.poll_interval_s,
    enabled: row.enabled === 1,
    thumbprint: row.tls_thumbprint,
    useSsl: row.use_ssl === 1,
    fileInfo: row.file_info === 1,
    notes: row.notes,
    credential: credentialState(row.credential_state),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    status,
  };
}
