import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Keys whose values never enter the audit log, whatever a caller passes. */
const SECRET_KEYS = /pass(word)?|secret|token|cookie|authorization|ciphertext/i;

export interface AuditEntry {
  /** Who: `cli:alice`, `desktop`, `serve:<remote>`, `system:tofu`. */
  readonly actor: string;
  /** What, as `domain.verb`: `endpoint.add`, `endpoint.trust`, `vault.allow-basic-text`. */
  readonly action: string;
  /** The object acted on (an endpoint name), if any. */
  readonly target: string | null;
  /** What changed. Secret-looking keys are dropped before writing. */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly at: Date;
}

function scrub(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (SECRET_KEYS.test(k)) continue;
    out[k] =
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? scrub(v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** Appends one audit row. Pass the transaction that made the change so both land or neither. */
export async function writeAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: entry.at.toISOString(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      details: JSON.stringify(scrub(entry.details ?? {})),
    })
    .execute();
}
