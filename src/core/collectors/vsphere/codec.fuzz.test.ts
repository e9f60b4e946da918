/**
 * Seeded fuzzing of the vim25 decoder (a few hundred cases, fixed seed, so CI is reproducible).
 * The long run is `node --import tsx bench/fuzz.ts`; the arbitraries live in tests/vsphere.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
