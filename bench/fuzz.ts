/**
 * The long fuzz run of the vim25 decoder (the suite runs a few hundred seeded cases; this runs
 * many more with a fresh seed, printed so a failure can be replayed).
 * Run: node --import tsx bench/fuzz.ts [--runs 200000] [--seconds 120] [--seed N]
 */
import fc from 'fast-check';
import { pathToFileURL } from 'node:url';
import {
  chunkingProperty,
  decoderProperty,
  hostileXml,
  runPipeline,
} from '../tests/vsphere/vim25-fuzz.js';

export interface FuzzOptions {
  readonly runs: number;
  readonly seconds: number;
  readonly seed: number;
}

export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly decoded: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly ms: number;
  readonly failure: string | null;
}

function arg(argv: readonly string[], name: string): number | undefined {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : undefined;
  return v === undefined ? undefined : Number(v);
}

export function runFuzz(opts: FuzzOptions): FuzzReport {
  const t0 = performance.now();
  const budget = opts.seconds * 1000;
  // The properties throw on a violation; fast-check shrinks and reports the smallest input.
  const params = {
    seed: opts.seed,
    numRuns: opts.runs,
    interruptAfterTimeLimit: budget,
    markInterruptAsFailure: false,
  };
  const main = fc.check(decoderProperty, params);
  const chunks = fc.check(chunkingProperty, {
    ...params,
    numRuns: Math.ceil(opts.runs / 10),
    interruptAfterTimeLimit: Math.max(1000, budget / 10),
  });
  // A census of outcomes over a sample, so the run shows it reached both success and failure.
  const errors: Record<string, number> = {};
  let decoded = 0;
  for (const xml of fc.sample(hostileXml, { seed: opts.seed, numRuns: 2000 })) {
    const r = runPipeline(xml);
    if (r.ok) decoded++;
    else errors[r.code] = (errors[r.code] ?? 0) + 1;
  }
  const failed = main.failed ? main : chunks.failed ? chunks : null;
  return {
    seed: opts.seed,
    cases: main.numRuns + chunks.numRuns,
    decoded,
    errors,
    ms: performance.now() - t0,
    failure: failed
      ? `${failed.errorInstance instanceof Error ? failed.errorInstance.message : String(failed.errorInstance)}\n` +
        `counterexample: ${JSON.stringify(failed.counterexample)}\nreplay: --seed ${failed.seed} (path ${failed.counterexamplePath ?? '?'})`
      : null,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const report = runFuzz({
    runs: arg(argv, 'runs') ?? 200_000,
    seconds: arg(argv, 'seconds') ?? 120,
    seed: arg(argv, 'seed') ?? (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0,
  });
  process.stdout.write(
    [
      `seed            ${report.seed}`,
      `cases           ${report.cases} in ${(report.ms / 1000).toFixed(1)} s`,
      `sample outcomes ${report.decoded} decoded, ${Object.entries(report.errors)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`,
      `result          ${report.failure === null ? 'no failure' : `FAILED\n${report.failure}`}`,
    ].join('\n') + '\n',
  );
  process.exitCode = report.failure === null ? 0 : 1;
}
