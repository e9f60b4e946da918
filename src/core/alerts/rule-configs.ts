import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AlertRuleDto, AlertRuleId } from '../../shared/alerts.js';
import type { alertUpdateRuleSchema } from '../../shared/alerts.js';
import { AppError } from '../../shared/errors.js';
import type { Database } from '../store/schema.js';
import { RULES_BY_ID } from './rules.js';
import { alertsDb } from './tables.js';

/*
 * Alert rule configuration: which rules run, with which parameters, for which endpoints and tags.
 */

export interface RuleConfig {
  readonly enabled: boolean;
  readonly params: Readonly<Record<string, number>>;
  readonly endpointIds: readonly number[];
  readonly tags: readonly string[];
}

const configJson = {
  params: z.record(z.string(), z.number()).catch({}),
  ids: z.array(z.number()).catch([]),
  tags: z.array(z.string()).catch([]),
};

export async function loadRuleConfigs(db: Kysely<Database>): Promise<Map<string, RuleConfig>> {
  const rows = await alertsDb(db).selectFrom('alert_rule').selectAll().execute();
  return new Map(
    rows.map((r) => [
      r.rule,
      {
        enabled: r.enabled === 1,
        params: configJson.params.parse(JSON.parse(r.params)),
        endpointIds: configJson.ids.parse(JSON.parse(r.endpoint_ids)),
        tags: configJson.tags.parse(JSON.parse(r.tags)),
      },
    ]),
  );
}

/** A tag matches by its full text or by its name after a `Category/` or `Category:` prefix. */
function tagMatches(want: string, have: readonly string[]): boolean {
  const w = want.toLowerCase();
  return have.some((h) => {
    const l = h.toLowerCase();
    return l === w || l.endsWith(`/${w}`) || l.endsWith(`:${w}`);
  });
}

/**
 * Scope of a rule: with neither endpoints nor tags it applies everywhere; otherwise to the listed
 * endpoints, and to anything tagged (on the endpoint or on the object) with a listed tag.
 */
export function ruleApplies(
  cfg: RuleConfig,
  endpointId: number,
  endpointTags: readonly string[],
  objectTags: readonly string[],
): boolean {
  if (cfg.endpointIds.length === 0 && cfg.tags.length === 0) return true;
  if (cfg.endpointIds.includes(endpointId)) return true;
  return cfg.tags.some((t) => tagMatches(t, endpointTags) || tagMatches(t, objectTags));
}

function ruleDto(id: AlertRuleId, cfg: RuleConfig | undefined): AlertRuleDto {
  const def = RULES_BY_ID.get(id);
  if (!def) throw new AppError('NOT_FOUND', `No alert rule ${id}.`);
  return {
    rule: id,
    title: def.title,
    description: def.description,
    entityType: def.entityType,
    enabled: cfg?.enabled ?? true,
    params: { ...def.defaults, ...(cfg?.params ?? {}) },
    defaults: def.defaults,
    endpointIds: cfg?.endpointIds ?? [],
    tags: cfg?.tags ?? [],
  };
}

export async function listRules(db: Kysely<Database>): Promise<AlertRuleDto[]> {
  const configs = await loadRuleConfigs(db);
  return [...RULES_BY_ID.keys()].map((id) => ruleDto(id, configs.get(id)));
}

export async function updateRule(
  db: Kysely<Database>,
  input: z.output<typeof alertUpdateRuleSchema>,
  actor: string,
  now: Date,
): Promise<AlertRuleDto> {
  const def = RULES_BY_ID.get(input.rule);
  if (!def) throw new AppError('NOT_FOUND', `No alert rule ${input.rule}.`);
  for (const key of Object.keys(input.params ?? {})) {
    if (!(key in def.defaults)) {
      throw new AppError(
        'VALIDATION',
        `Rule ${input.rule} has no threshold "${key}"${Object.keys(def.defaults).length ? ` (it has ${Object.keys(def.defaults).join(', ')})` : ''}.`,
      );
    }
  }
  const current = (await loadRuleConfigs(db)).get(input.rule);
  const next: RuleConfig = {
    enabled: input.enabled ?? current?.enabled ?? true,
    params: { ...(current?.params ?? {}), ...(input.params ?? {}) },
    endpointIds: input.endpointIds ?? current?.endpointIds ?? [],
    tags: input.tags ?? current?.tags ?? [],
  };
  const row = {
    rule: input.rule,
    enabled: next.enabled ? 1 : 0,
    params: JSON.stringify(next.params),
    endpoint_ids: JSON.stringify(next.endpointIds),
    tags: JSON.stringify(next.tags),
    updated_at: now.toISOString(),
    updated_by: actor,
  };
  await alertsDb(db)
    .insertInto('alert_rule')
    .values(row)
    .onConflict((oc) => oc.column('rule').doUpdateSet(row))
    .execute();
  return ruleDto(input.rule, next);
}
