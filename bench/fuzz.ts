/**
 * The long fuzz runs (the suite runs a few hundred seeded cases of each; this runs many more with a
 * fresh seed, printed so a failure can be replayed). Targets: the vim25 decoder, the `serve`
 * request path (random paths, headers and upgrades at a real server on 127.0.0.1), the XLSX
 * reader (random worksheets) and the JSON snapshot reader (random and mutated documents).
 * Run: node --import tsx bench/fuzz.ts [--target vim25|serve|xlsx|json] [--runs 200000] [--seconds 120]
 *      [--seed N]
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCore } from '../src/core/core.js';
import { keyFileVault } from '../src/core/vault/key-file-vault.js';
import {
  getRequest,
  rawRequest,
  serveProperty,
  serveSmallUi,
} from '../tests/hardening/serve-fuzz.js';
import { checkJson, checkXlsx, hostileJson, hostileSheet } from '../tests/hardening/import-fuzz.js';
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
  return {
    seed: opts.seed,
    cases: main.numRuns + chunks.numRuns,
    decoded,
    errors,
    ms: performance.now() - t0,
    failure: main.failed ? failureOf(main) : chunks.failed ? failureOf(chunks) : null,
  };
}

/** Failure text of a fast-check run, with what replays it. */
function failureOf<T>(r: fc.RunDetails<T>): string | null {
  if (!r.failed) return null;
  const err = r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance);
  return `${err}\ncounterexample: ${JSON.stringify(r.counterexample)}\nreplay: --seed ${r.seed} (path ${r.counterexamplePath ?? '?'})`;
}

/** Hostile HTTP at a real `serve` on 127.0.0.1 (an in-memory core and a one-file UI). */
export async function runServeFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-fuzz-'));
  const core = await createCore({
    dataDir: dir,
    host: 'cli',
    vault: keyFileVault(dir),
    memory: true,
  });
  const serve = await serveSmallUi(core);
  try {
    const r = await fc.check(serveProperty(serve.port), {
      seed: opts.seed,
      numRuns: opts.runs,
      interruptAfterTimeLimit: opts.seconds * 1000,
      markInterruptAsFailure: false,
    });
    const last = await rawRequest(serve.port, getRequest(serve.port, '/'));
    return {
      seed: opts.seed,
      cases: r.numRuns,
      decoded: last.status === 200 ? 1 : 0,
      errors: last.status === 200 ? {} : { 'NOT-SERVING': 1 },
      ms: performance.now() - t0,
      failure: failureOf(r) ?? (last.status === 200 ? null : 'serve stopped answering'),
    };
  } finally {
    await serve.close();
    await core.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A reader fed each generated input through `check` (which throws on a broken property). */
async function runReaderFuzz<T>(
  opts: FuzzOptions,
  input: fc.Arbitrary<T>,
  check: (dir: string, v: T) => Promise<string>,
): Promise<FuzzReport> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-fuzz-'));
  const outcomes: Record<string, number> = {};
  try {
    const r = await fc.check(
      fc.asyncProperty(input, async (v) => {
        const o = await check(dir, v);
        outcomes[o] = (outcomes[o] ?? 0) + 1;
      }),
      {
        seed: opts.seed,
        numRuns: opts.runs,
        interruptAfterTimeLimit: opts.seconds * 1000,
        markInterruptAsFailure: false,
      },
    );
    const { read = 0, ...errors } = outcomes;
    return {
      seed: opts.seed,
      cases: r.numRuns,
      decoded: read,
      errors,
      ms: performance.now() - t0,
      failure: failureOf(r),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(target: string, report: FuzzReport): void {
  process.stdout.write(
    [
      `target          ${target}`,
      `seed            ${report.seed}`,
      `cases           ${report.cases} in ${(report.ms / 1000).toFixed(1)} s`,
      `sample outcomes ${report.decoded} ok, ${Object.entries(report.errors)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`,
      `result          ${report.failure === null ? 'no failure' : `FAILED\n${report.failure}`}`,
      '',
    ].join('\n') + '\n',
  );
}

const TARGETS: Record<string, (o: FuzzOptions) => FuzzReport | Promise<FuzzReport>> = {
  vim25: runFuzz,
  // Each case is two round trips on a socket: fewer cases in the same time.
  serve: (o) => runServeFuzz({ ...o, runs: Math.ceil(o.runs / 20) }),
  // Each case writes and reads a file.
  xlsx: (o) => runReaderFuzz({ ...o, runs: Math.ceil(o.runs / 20) }, hostileSheet, checkXlsx),
  json: (o) => runReaderFuzz({ ...o, runs: Math.ceil(o.runs / 20) }, hostileJson, checkJson),
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const t = argv.indexOf('--target');
  const only = t >= 0 ? argv[t + 1] : undefined;
  const names = only ? [only] : Object.keys(TARGETS);
  const runs = arg(argv, 'runs') ?? 200_000;
  const seconds = arg(argv, 'seconds') ?? 120;
  const seed = arg(argv, 'seed') ?? (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
  let failed = false;
  for (const name of names) {
    const run = TARGETS[name];
    if (!run)
      throw new Error(`unknown --target ${name}; one of ${Object.keys(TARGETS).join(', ')}`);
    const report = await run({ runs, seconds: seconds / names.length, seed });
    print(name, report);
    failed ||= report.failure !== null;
  }
  process.exitCode = failed ? 1 : 0;
}
