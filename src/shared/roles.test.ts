import { describe, expect, it } from 'vitest';
import { CHANNELS } from './contract.js';
import { CHANNEL_ROLES, ROLES, roleAtLeast } from './roles.js';

describe('the role table', () => {
  it('declares a role for every channel of the contract, and names no other', () => {
    const missing = CHANNELS.filter((c) => !ROLES.includes(CHANNEL_ROLES[c]));
    expect(missing).toEqual([]);
    expect(Object.keys(CHANNEL_ROLES).sort()).toEqual([...CHANNELS].sort());
  });

  it('orders the roles: each may do what the one before it may', () => {
    expect(roleAtLeast('admin', 'operator')).toBe(true);
    expect(roleAtLeast('operator', 'viewer')).toBe(true);
    expect(roleAtLeast('viewer', 'operator')).toBe(false);
    expect(roleAtLeast('operator', 'admin')).toBe(false);
  });

  it('keeps configuration with admin and day-to-day work with operator', () => {
    for (const c of [
      'endpoints:add',
      'endpoints:remove',
      'webhooks:add',
      'alerts:updateRule',
      'schedules:set',
    ] as const) {
      expect(CHANNEL_ROLES[c], c).toBe('admin');
    }
    for (const c of [
      'sync:start',
      'alerts:ack',
      'alerts:snooze',
      'export:save',
      'snapshots:save',
    ] as const) {
      expect(CHANNEL_ROLES[c], c).toBe('operator');
    }
    expect(CHANNEL_ROLES['inventory:query']).toBe('viewer');
  });
});
