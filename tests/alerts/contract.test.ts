import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import type {
  AlertDto,
  AlertSummary,
  MetricSeries,
  WebhookDelivery,
} from '../../src/shared/alerts.js';
import type { EventMap, RequestInput, RequestOutput } from '../../src/shared/contract.js';
import { EVENT_NAMES, requestSchemas } from '../../src/shared/contract.js';
import { makeCore } from '../doubles/core-harness.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';

afterAll(stopSharedPostgres);

describe('the alerts slice of the contract', () => {
  it('types its channels', () => {
    expectTypeOf<RequestOutput<'alerts:list'>>().toEqualTypeOf<readonly AlertDto[]>();
    expectTypeOf<RequestOutput<'metrics:series'>>().toEqualTypeOf<MetricSeries>();
    expectTypeOf<RequestInput<'alerts:ack'>>().toEqualTypeOf<{
      ids: number[];
      comment?: string | undefined;
    }>();
    expectTypeOf<RequestOutput<'alerts:summary'>>().toEqualTypeOf<AlertSummary>();
    expectTypeOf<RequestOutput<'webhooks:test'>>().toEqualTypeOf<WebhookDelivery>();
    expectTypeOf<EventMap['webhooks:delivered']>().toEqualTypeOf<WebhookDelivery>();
    expect(EVENT_NAMES).toContain('alerts:raised');
    expect(EVENT_NAMES).toContain('webhooks:delivered');
  });

  // The types and schemas alone touch no store: they run once.
  it('applies defaults and rejects bad input in the schemas', () => {
    expect(requestSchemas['alerts:list'].parse({})).toEqual({
      state: 'open',
      includeSnoozed: false,
      limit: 500,
      offset: 0,
    });
    expect(
      requestSchemas['webhooks:add'].safeParse({ name: 'x', url: 'file:///etc/passwd' }).success,
    ).toBe(false);
    expect(requestSchemas['alerts:updateRule'].safeParse({ rule: 'no-such-rule' }).success).toBe(
      false,
    );
  });
});

describe.each(ENGINES)('the alerts slice of the contract on a %s store', (engine) => {
  it('rejects bad input at the core boundary and keeps the retention it accepts', async () => {
    const h = await makeCore({ store: await testStoreLocation(engine) });
    try {
      const bad = await h.core.request(
        'alerts:snooze',
        { ids: [], minutes: 5 },
        { actor: 't', host: 'cli' },
      );
      expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      const range = await h.core.request(
        'metrics:series',
        { entityType: 'vm', endpointId: 1, entityId: 'vm-1', range: '2d' },
        { actor: 't', host: 'cli' },
      );
      expect(range).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      const none = await h.core.request('alerts:history', { id: 99 }, { actor: 't', host: 'cli' });
      expect(none).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      const ret = await h.core.request(
        'metrics:setRetention',
        { rawDays: 30, hourlyDays: 7, dailyDays: 730 },
        { actor: 't', host: 'cli' },
      );
      expect(ret).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      await h.call('metrics:setRetention', { rawDays: 3, hourlyDays: 30, dailyDays: 365 });
      expect(await h.call('metrics:retention', {})).toEqual({
        rawDays: 3,
        hourlyDays: 30,
        dailyDays: 365,
      });
    } finally {
      await h.close();
    }
  });
});
