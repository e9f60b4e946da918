import type { Kysely } from 'kysely';
import type {
  AlertDto,
  AlertSeverity,
  WebhookDelivery,
  WebhookDto,
  WebhookFormat,
} from '../../shared/alerts.js';
import { SEVERITY_RANK } from '../../shared/alerts.js';
import { AppError, serializeError } from '../../shared/errors.js';
import { alertsDb } from '../alerts/tables.js';
import type { EventHub, HandlerSlice } from '../contract/handlers.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/schema.js';
import type { VaultBackend } from '../vault/vault.js';
import type { Notifier } from './notifier.js';
import type { DeliveryOptions, DeliveryResult, WebhookMessage } from './webhook.js';
import { alertMessage, deliver, urlHint, webhookBody } from './webhook.js';

export type WebhookChannels =
  | 'webhooks:list'
  | 'webhooks:add'
  | 'webhooks:update'
  | 'webhooks:remove'
  | 'webhooks:test'
  | 'webhooks:deliveries';

export interface NotifyDeps {
  readonly db: Kysely<Database>;
  readonly vault: VaultBackend;
  /** Where each logged delivery is announced (`webhooks:delivered`), so the log shows it live. */
  readonly events?: EventHub;
  readonly log: Logger;
  readonly now: () => Date;
  readonly notifier?: Notifier;
  /** Retry, timeout and transport tuning (tests: a local server, short delays). */
  readonly delivery?: Omit<DeliveryOptions, 'signal'>;
  /** How long dispose waits for deliveries under way before cancelling them. */
  readonly disposeGraceMs?: number;
}

export interface NotifyService {
  readonly handlers: HandlerSlice<WebhookChannels>;
  /** Announces newly raised alerts: desktop (critical only) and every matching webhook. */
  alertsRaised(alerts: readonly AlertDto[]): void;
  /** Resolves when every delivery started so far has finished (tests, shutdown). */
  idle(): Promise<void>;
  dispose(): Promise<void>;
}

interface WebhookRow {
  id: number;
  name: string;
  url_backend: string;
  url_sealed: Buffer;
  url_hint: string;
  format: string;
  min_severity: string;
  enabled: number;
  created_at: string;
}

function webhookDto(r: WebhookRow): WebhookDto {
  return {
    id: r.id,
    name: r.name,
    urlHint: r.url_hint,
    format: r.format as WebhookFormat,
    minSeverity: r.min_severity as AlertSeverity,
    enabled: r.enabled === 1,
    createdAt: r.created_at,
  };
}

export function createNotifyCapability(deps: NotifyDeps): NotifyService {
  const controller = new AbortController();
  const pending = new Set<Promise<unknown>>();
  const adb = alertsDb(deps.db);

  const track = (p: Promise<unknown>): void => {
    const tracked = p
      .catch((e: unknown) => deps.log.warn({ err: serializeError(e) }, 'notification failed'))
      .finally(() => pending.delete(tracked));
    pending.add(tracked);
  };

  const openUrl = (w: WebhookRow): string => {
    if (w.url_backend !== deps.vault.id) {
      throw new AppError(
        'VAULT_LOCKED',
        `Webhook ${w.name} was sealed by ${w.url_backend}; this host uses ${deps.vault.id}. Add it again here.`,
      );
    }
    return deps.vault.open(w.url_sealed);
  };

  const send = async (
    w: WebhookRow,
    m: WebhookMessage,
    alertId: number | null,
  ): Promise<WebhookDelivery> => {
    let result: DeliveryResult;
    const started = deps.now().toISOString();
    try {
      result = await deliver(openUrl(w), webhookBody(w.format as WebhookFormat, m), {
        ...deps.delivery,
        signal: controller.signal,
      });
    } catch (e) {
      result = {
        status: 'failed',
        attempts: 0,
        httpStatus: null,
        error: serializeError(e).message,
        durationMs: 0,
      };
    }
    const row = await adb
      .insertInto('webhook_delivery')
      .values({
        webhook_id: w.id,
        alert_id: alertId,
        at: started,
        attempts: result.attempts,
        status: result.status,
        http_status: result.httpStatus,
        error: result.error,
        duration_ms: result.durationMs,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (result.status === 'failed') {
      deps.log.warn(
        { webhook: w.name, attempts: result.attempts, error: result.error },
        'webhook delivery failed',
      );
    }
    const delivery: WebhookDelivery = {
      id: row.id,
      webhookId: w.id,
      alertId,
      at: started,
      attempts: result.attempts,
      status: result.status,
      httpStatus: result.httpStatus,
      error: result.error,
      durationMs: result.durationMs,
    };
    deps.events?.emit('webhooks:delivered', delivery);
    return delivery;
  };

  const webhook = async (id: number): Promise<WebhookRow> => {
    const w = await adb.selectFrom('webhook').selectAll().where('id', '=', id).executeTakeFirst();
    if (!w) throw new AppError('NOT_FOUND', `No webhook with id ${id}.`);
    return w;
  };

  return {
    alertsRaised(alerts) {
      const now = deps.now().toISOString();
      const live = alerts.filter(
        (a) => a.state !== 'cleared' && !(a.snoozedUntil && a.snoozedUntil > now),
      );
      if (live.length === 0) return;
      if (deps.notifier) {
        for (const a of live.filter((x) => x.severity === 'critical')) {
          try {
            deps.notifier.notify({
              title: `Critical: ${a.entityName ?? a.rule}`,
              body: a.message,
              severity: a.severity,
              alertId: a.id,
            });
          } catch (e) {
            deps.log.warn({ err: serializeError(e) }, 'desktop notification failed');
          }
        }
      }
      track(
        (async () => {
          const hooks = await adb
            .selectFrom('webhook')
            .selectAll()
            .where('enabled', '=', 1)
            .execute();
          // Webhooks in parallel, each one's alerts in order.
          await Promise.all(
            hooks.map(async (w) => {
              for (const a of live) {
                if (controller.signal.aborted) return;
                if (SEVERITY_RANK[a.severity] < SEVERITY_RANK[w.min_severity as AlertSeverity])
                  continue;
                await send(w, alertMessage(a), a.id);
              }
            }),
          );
        })(),
      );
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async dispose() {
      // Let deliveries under way finish (a CLI sync exits right after), then stop retrying.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([...pending]),
        new Promise((resolve) => (timer = setTimeout(resolve, deps.disposeGraceMs ?? 10_000))),
      ]);
      clearTimeout(timer);
      controller.abort();
      await Promise.all([...pending]);
    },
    handlers: {
      'webhooks:list': async () =>
        (await adb.selectFrom('webhook').selectAll().orderBy('name').execute()).map(webhookDto),
      'webhooks:add': async (input) => {
        // A team store's key claims the store (or is refused) before it seals the URL.
        await deps.vault.prepare?.(deps.db);
        if (!deps.vault.canSeal()) {
          throw new AppError(
            'VAULT_UNAVAILABLE',
            'No vault can seal the webhook URL on this host.',
          );
        }
        const exists = await adb
          .selectFrom('webhook')
          .select('id')
          .where('name', '=', input.name)
          .executeTakeFirst();
        if (exists) throw new AppError('CONFLICT', `A webhook named ${input.name} exists.`);
        const row = await adb
          .insertInto('webhook')
          .values({
            name: input.name,
            url_backend: deps.vault.id,
            url_sealed: deps.vault.seal(input.url),
            url_hint: urlHint(input.url),
            format: input.format,
            min_severity: input.minSeverity,
            enabled: input.enabled ? 1 : 0,
            created_at: deps.now().toISOString(),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return webhookDto(row);
      },
      'webhooks:update': async ({ id, enabled, format, minSeverity }) => {
        const changes = {
          ...(enabled === undefined ? {} : { enabled: enabled ? 1 : 0 }),
          ...(format === undefined ? {} : { format }),
          ...(minSeverity === undefined ? {} : { min_severity: minSeverity }),
        };
        const row =
          Object.keys(changes).length === 0
            ? await adb.selectFrom('webhook').selectAll().where('id', '=', id).executeTakeFirst()
            : await adb
                .updateTable('webhook')
                .set(changes)
                .where('id', '=', id)
                .returningAll()
                .executeTakeFirst();
        if (!row) throw new AppError('NOT_FOUND', `No webhook with id ${id}.`);
        return webhookDto(row);
      },
      'webhooks:remove': async ({ id }) => {
        const r = await adb.deleteFrom('webhook').where('id', '=', id).executeTakeFirst();
        return { removed: Number(r.numDeletedRows) > 0 };
      },
      'webhooks:test': async ({ id }) => {
        const w = await webhook(id);
        return send(
          w,
          {
            title: 'Infrascope test',
            text: `Test message from Infrascope to ${w.name}.`,
            severity: 'info',
            alert: null,
          },
          null,
        );
      },
      'webhooks:deliveries': async ({ id, limit }) => {
        let q = adb.selectFrom('webhook_delivery').selectAll();
        if (id !== undefined) q = q.where('webhook_id', '=', id);
        const rows = await q.orderBy('id', 'desc').limit(limit).execute();
        return rows.map((r) => ({
          id: r.id,
          webhookId: r.webhook_id,
          alertId: r.alert_id,
          at: r.at,
          attempts: r.attempts,
          status: r.status as WebhookDelivery['status'],
          httpStatus: r.http_status,
          error: r.error,
          durationMs: r.duration_ms,
        }));
      },
    },
  };
}
