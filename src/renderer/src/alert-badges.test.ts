import { describe, expect, it } from 'vitest';
import type { AlertSummary } from '../../shared/alerts.js';
import { badgeKey, badgeLabel, badgeMap } from './alert-badges.js';

describe('alert badges', () => {
  it('keys objects by endpoint name, type and id, so table rows find their own', () => {
    const summary: AlertSummary = {
      open: { info: 1, warning: 0, critical: 2 },
      snoozed: 0,
      entities: [
        {
          endpointId: 1,
          endpoint: 'vc-a',
          entityType: 'host',
          entityId: 'host-1',
          severity: 'critical',
          count: 2,
        },
        {
          endpointId: 2,
          endpoint: 'vc-b',
          entityType: 'host',
          entityId: 'host-1',
          severity: 'info',
          count: 1,
        },
      ],
    };
    const map = badgeMap(summary);
    expect(map.get(badgeKey('vc-a', 'host', 'host-1'))).toEqual({ severity: 'critical', count: 2 });
    // The same native id on another endpoint is another object.
    expect(map.get(badgeKey('vc-b', 'host', 'host-1'))).toEqual({ severity: 'info', count: 1 });
    expect(map.get(badgeKey('vc-a', 'vm', 'host-1'))).toBeUndefined();
  });

  it('says the count and the worst severity in words', () => {
    expect(badgeLabel({ severity: 'critical', count: 2 })).toBe('2 open alerts, highest critical');
    expect(badgeLabel({ severity: 'info', count: 1 })).toBe('1 open alert, info');
  });
});
