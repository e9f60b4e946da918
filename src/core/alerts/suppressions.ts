import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { SuppressionDto } from '../../shared/alerts.js';
import type { alertSuppressSchema } from '../../shared/alerts.js';
import { AppError } from '../../shared/errors.js';
import type { Database } from '../store/schema.js';
import { alertsDb } from './tables.js';

/*
 * Suppressions: a rule silenced for one object (a known exception), with who and why.
 */

function suppressionDto(r: {
  id: number;
  rule: string;
  endpoint_id: number;
  entity_type: string;
  entity_id: string;
  reason: string;
  created_by: string;
  created_at: string;
}): SuppressionDto {
  return {
    id: r.id,
    rule: r.rule,
    endpointId: r.endpoint_id,
    entityType: r.entity_type,
    entityId: r.entity_id,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

/**
 * Suppresses one rule for one object (a known exception) and clears its open alert at once.
 * Returns the suppression and the ids of alerts it cleared.
 */
export async function suppress(
  db: Kysely<Database>,
  input: z.output<typeof alertSuppressSchema>,
  actor: string,
  now: Date,
): Promise<{ suppression: SuppressionDto; clearedIds: number[] }> {
  const at = now.toISOString();
  return db.transaction().execute(async (trx) => {
    const adb = alertsDb(trx);
    const ep = await trx
      .selectFrom('endpoint')
      .select('id')
      .where('id', '=', input.endpointId)
      .executeTakeFirst();
    if (!ep) throw new AppError('NOT_FOUND', `No endpoint with id ${input.endpointId}.`);
    const values = {
      rule: input.rule,
      endpoint_id: input.endpointId,
      entity_type: input.entityType,
      entity_id: input.entityId,
      reason: input.reason,
      created_by: actor,
      created_at: at,
    };
    const row = await adb
      .insertInto('alert_suppression')
      .values(values)
      .onConflict((oc) =>
        oc
          .columns(['rule', 'endpoint_id', 'entity_type', 'entity_id'])
          .doUpdateSet({ reason: input.reason }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    const open = await adb
      .selectFrom('alert')
      .select('id')
      .where('rule', '=', input.rule)
      .where('endpoint_id', '=', input.endpointId)
      .where('entity_type', '=', input.entityType)
      .where('entity_id', '=', input.entityId)
      .where('state', '<>', 'cleared')
      .execute();
    const clearedIds = open.map((o) => o.id);
    if (clearedIds.length > 0) {
      await adb
        .updateTable('alert')
        .set({ state: 'cleared', cleared_at: at, snoozed_until: null })
        .where('id', 'in', clearedIds)
        .execute();
      await adb
        .insertInto('alert_history')
        .values(
          clearedIds.map((id) => ({
            alert_id: id,
            at,
            action: 'suppressed',
            actor,
            comment: input.reason || null,
          })),
        )
        .execute();
    }
    return { suppression: suppressionDto(row), clearedIds };
  });
}

export async function unsuppress(db: Kysely<Database>, id: number): Promise<boolean> {
  const r = await alertsDb(db)
    .deleteFrom('alert_suppression')
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listSuppressions(db: Kysely<Database>): Promise<SuppressionDto[]> {
  const rows = await alertsDb(db)
    .selectFrom('alert_suppression')
    .selectAll()
    .orderBy('id')
    .execute();
  return rows.map(suppressionDto);
}
