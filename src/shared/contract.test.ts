import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { AlertDto } from './alerts.js';
import type { AppInfo } from './app.js';
import type { CallerHost } from './channel.js';
import { CALLER_HOSTS } from './channel.js';
import type {
  Channel,
  EventMap,
  InfrascopeApi,
  ParsedInput,
  RequestInput,
  RequestOutput,
  requestSchemas,
} from './contract.js';
import { CHANNELS, CONTRACT, allowedOn, isChannel } from './contract.js';
import type { ExportResult, SnapshotInfo } from './export.js';
import type { QueryResult } from './query.js';
import type { SyncProgressEvent, SyncStarted } from './sync.js';

describe('the contract, as types', () => {
  it('derives each input from its schema and names each output once', () => {
    expectTypeOf<RequestOutput<'inventory:query'>>().toEqualTypeOf<QueryResult>();
    expectTypeOf<RequestOutput<'app:info'>>().toEqualTypeOf<AppInfo>();
    expectTypeOf<RequestOutput<'alerts:list'>>().toEqualTypeOf<readonly AlertDto[]>();
    expectTypeOf<RequestOutput<'sync:start'>>().toEqualTypeOf<SyncStarted>();
    expectTypeOf<RequestOutput<'snapshots:import'>>().toEqualTypeOf<SnapshotInfo>();
    expectTypeOf<RequestOutput<'export:run'>>().toEqualTypeOf<ExportResult>();
    expectTypeOf<RequestInput<'inventory:query'>>().toEqualTypeOf<
      z.input<(typeof CONTRACT)['inventory:query']['input']>
    >();
    // Defaults make a field optional going in and present coming out.
    expectTypeOf<RequestInput<'alerts:list'>['limit']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<ParsedInput<'alerts:list'>['limit']>().toEqualTypeOf<number>();
    expectTypeOf<Channel>().toEqualTypeOf<keyof typeof requestSchemas>();
    expectTypeOf<EventMap['sync:progress']>().toEqualTypeOf<SyncProgressEvent>();
  });

  it('types invoke by channel: the input is checked and the output needs no cast', () => {
    const invoke: InfrascopeApi['invoke'] = () => Promise.reject(new Error('types only'));
    expectTypeOf(invoke<'endpoints:list'>).returns.resolves.toEqualTypeOf<
      RequestOutput<'endpoints:list'>
    >();
    expectTypeOf(invoke<'sync:cancel'>)
      .parameter(1)
      .toEqualTypeOf<{ id: number }>();
    const calls = (): unknown[] => [
      invoke('inventory:query', { kind: 'vms' }),
      // @ts-expect-error: the kind is checked against the schema
      invoke('inventory:query', { kind: 'vm' }),
      // @ts-expect-error: an unknown field
      invoke('sync:cancel', { id: 1, force: true }),
    ];
    expectTypeOf(calls).returns.toEqualTypeOf<unknown[]>();
    // @ts-expect-error: not a channel
    expectTypeOf<RequestOutput<'inventory:drop'>>().toBeNever();
  });
});

describe('the contract, at run time', () => {
  it('lists every channel once, each with a schema and the hosts that may call it', () => {
    expect(new Set(CHANNELS).size).toBe(CHANNELS.length);
    for (const c of CHANNELS) {
      expect(c).toMatch(/^[a-z]+:[a-zA-Z]+$/);
      expect(isChannel(c)).toBe(true);
      expect(CONTRACT[c].hosts.length).toBeGreaterThan(0);
      for (const h of CONTRACT[c].hosts) expect(CALLER_HOSTS).toContain(h);
    }
    expect(isChannel('toString')).toBe(false);
    expect(isChannel('inventory:drop')).toBe(false);
  });

  it('keeps a path import to in-process callers', () => {
    const hosts = (c: Channel): CallerHost[] => CALLER_HOSTS.filter((h) => allowedOn(c, h));
    expect(hosts('snapshots:import')).toEqual(['cli']);
    expect(hosts('inventory:query')).toEqual(['desktop', 'serve', 'cli']);
  });
});
