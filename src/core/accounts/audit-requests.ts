import type { Kysely } from 'kysely';
import type { Channel, Reply } from '../../shared/contract.js';
import { isChannel } from '../../shared/contract.js';
import { roleFor } from '../../shared/roles.js';
import type { RequestContext } from '../contract/handlers.js';
import { writeAudit } from '../endpoints/audit.js';
import type { Database } from '../store/schema.js';

/**
 * On a team server, every request a person (or their API token) makes that needs more than the
 * viewer role — a sync, an acknowledgement, an export, a configuration change — is recorded
 * with the account and source address (the actor `alice@10.0.0.5`), whether it succeeded or was
 * refused. Services that audit their own changes in detail (endpoints, schedules) still do; this
 * row says who asked and what came of it. Reads are not recorded. Secret-looking input keys
 * are dropped by `writeAudit`.
 */
export async function auditPersonRequest(
  db: Kysely<Database>,
  channel: unknown,
  input: unknown,
  ctx: RequestContext,
  reply: Reply<Channel>,
  at: Date,
): Promise<void> {
  if (!isChannel(channel) || roleFor(channel) === 'viewer') return;
  await auditPersonAction(db, ctx, {
    action: channel,
    target: null,
    outcome: reply.ok ? 'done' : reply.error.code,
    details: { input: input !== null && typeof input === 'object' ? input : {} },
    at,
  });
}

/**
 * One row for what a person did on a team server outside the contract's channels — serve's HTTP
 * routes: a snapshot upload, an export download — with the same actor and outcome as a request's
 * row. Nothing for the one person at a local store (no role), as for requests.
 */
export async function auditPersonAction(
  db: Kysely<Database>,
  ctx: RequestContext,
  entry: {
    readonly action: string;
    readonly target: string | null;
    /** `done`, or the refusal's or failure's error code. */
    readonly outcome: string;
    readonly details?: Readonly<Record<string, unknown>>;
    readonly at: Date;
  },
): Promise<void> {
  if (ctx.role === undefined) return;
  await writeAudit(db, {
    actor: ctx.actor,
    action: entry.action,
    target: entry.target,
    details: { outcome: entry.outcome, ...entry.details },
    at: entry.at,
  });
}
