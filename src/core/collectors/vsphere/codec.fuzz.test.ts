/**
 * Seeded fuzzing of the vim25 decoder (a few hundred cases, fixed seed, so CI is reproducible).
 * The long run is `node --import tsx bench/fuzz.ts`; the arbitraries live in tests/vsphere.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CollectedEntity } from '../../../shared/entities.js';
import { parseObject } from './client.js';
import { VimDecoder } from './codec.js';
import type { Pruning, VimValue } from './codec.js';
import { compactProperty, InventoryCache, mapObject, PRUNED } from './mapper.js';
import {
  SEEDS,
  chunkingProperty,
  decoderProperty,
  runPipeline,
} from '../../../../tests/vsphere/vim25-fuzz.js';

const SEED = 20261124;

describe('vim25 decoder fuzzing (fixed seed)', () => {
  it('the seeds themselves decode and map', () => {
    for (const s of SEEDS) expect(runPipeline(s).ok).toBe(true);
    expect(runPipeline(SEEDS[0] ?? '')).toEqual({ ok: true, objects: 3 });
  });

  it('hostile input → a value or PROTOCOL_ERROR, never another exception, never a hang', () => {
    fc.assert(decoderProperty, { seed: SEED, numRuns: 400 });
  });

  it('chunk boundaries do not change what a well-formed document decodes to', () => {
    fc.assert(chunkingProperty, { seed: SEED, numRuns: 150 });
  });

  it('streamed and whole decoding find the same objects', () => {
    for (const s of SEEDS) expect(runPipeline(s, [7, 13], true)).toEqual(runPipeline(s));
  });

  it('pruning while decoding maps to the same entities as decoding everything', () => {
    // The first seed, with members the mapper never reads (dropped) next to one it does.
    const seed = (SEEDS[0] ?? '').replace(
      '<key>2000</key>',
      '<key>2000</key><deviceInfo><label>Hard disk 1</label><summary>1 GB</summary></deviceInfo>' +
        '<shares><shares>1000</shares><level>normal</level></shares><summary>x &amp; y</summary>',
    );
    const decode = (prune: Pruning | undefined): VimValue[] => {
      const items: VimValue[] = [];
      const d = new VimDecoder({
        stream: { depth: 5, names: new Set(['objects']), prune, onItem: (_n, v) => items.push(v) },
      });
      d.write(seed);
      d.end();
      return items;
    };
    const entities = (items: VimValue[]): CollectedEntity[] => {
      const cache = new InventoryCache();
      const objects = items.map((v) => parseObject(v)).filter((o) => o !== null);
      for (const o of objects) cache.put(o.obj, o.props);
      return objects.flatMap((o) => mapObject(cache, { ref: o.obj, props: o.props }));
    };
    const whole = decode(undefined);
    const pruned = decode(PRUNED);
    expect(JSON.stringify(pruned)).not.toBe(JSON.stringify(whole)); // something was dropped
    expect(entities(pruned)).toEqual(entities(whole));
    // And what the decoder keeps is what the watch cache keeps of a whole value.
    const devices = (items: VimValue[]): VimValue | undefined =>
      parseObject(items[0]!)?.props.get('config.hardware.device');
    expect(devices(pruned)).toEqual(
      compactProperty('VirtualMachine', 'config.hardware.device', devices(whole)!),
    );
  });

  it('a deeply nested document is refused, not a stack overflow', () => {
    const deep = '<a>'.repeat(100_000) + '</a>'.repeat(100_000);
    expect(runPipeline(deep)).toEqual({ ok: false, code: 'PROTOCOL_ERROR' });
  });

  it('entity expansion is not performed (no billion laughs)', () => {
    const doc =
      '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">' +
      '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><a>&c;&c;&c;&c;&c;&c;</a>';
    const r = runPipeline(doc);
    expect(r.ok === false ? r.code : 'decoded').toMatch(/PROTOCOL_ERROR|decoded/);
  });
});
