/**
 * UI benchmark: serves a large store (bench/generate-store.ts; 100,000 VMs unless told) and drives
 * the built UI in headless Chromium (the measures and their goals: bench/ui-measures.ts).
 *
 * Run: npm run bench:ui [-- --vms 100000 --data-dir .tmp/bench-store --regenerate --postgres]
 * With --postgres it then copies the same store into a throwaway PostgreSQL cluster (`store copy`,
 * as a team moving in would) and measures `serve --store postgres://…` in the same run.
 * Needs `npm run build` (the CLI and the renderer) and Debian's chromium.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { STORE_FILE } from '../src/core/store/sqlite.js';
import { startServe } from '../tests/e2e/fixtures.js';
import { SERVER_SETTINGS, startPostgres } from '../tests/helpers/postgres.js';
import { generateStore, vmIp, vmName, vmUuid } from './generate-store.js';
import { measureUi, printUi } from './ui-measures.js';
import type { UiCases } from './ui-measures.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The generated estate's own names, IPs and UUIDs (two endpoints of 50,000 VMs at the default). */
const CASES: UiCases = {
  tableSearches: [
    vmName(1, 100).slice(0, -2),
    vmName(2, 4000).slice(0, -3),
    '10.20.1.',
    'cache-1-09',
  ],
  paletteSearches: [
    [vmIp(2, 775), vmName(2, 775)],
    [vmName(1, 12_345), vmName(1, 12_345)],
    [vmName(2, 43_210).slice(0, -1), vmName(2, 43_210)],
    [vmUuid(2, 777).slice(0, 17), vmName(2, 777)],
    [vmIp(1, 30_001), vmName(1, 30_001)],
  ],
};

async function main(): Promise<void> {
  const vms = Number(arg('vms') ?? process.env['BENCH_VMS'] ?? 100_000);
  const dataDir = resolve(arg('data-dir') ?? '.tmp/bench-store');
  if (process.argv.includes('--regenerate') || !existsSync(join(dataDir, STORE_FILE))) {
    const { ms } = await generateStore({ vms, dataDir, endpoints: vms >= 1000 ? 2 : 1 });
    console.log(`Generated ${vms.toLocaleString('en-US')} VMs in ${(ms / 1000).toFixed(1)} s`);
  }
  const title = (engine: string): string =>
    `UI benchmark, ${vms.toLocaleString('en-US')} VMs, ${engine} (headless Chromium, ${new Date().toISOString()}, load ${loadavg()[0]!.toFixed(1)})`;
  await measureServe(dataDir, null, title('SQLite'));
  if (!process.argv.includes('--postgres')) return;
  // The same estate in a PostgreSQL team store, moved in as a user would (`store copy`), measured
  // in the same run as its SQLite peer above.
  const cluster = await startPostgres({ settings: SERVER_SETTINGS });
  try {
    const url = await cluster.createDatabase('infrascope');
    const key = join(dataDir, 'bench-team.key');
    rmSync(key, { force: true });
    const cli = (args: string[]): void => {
      execFileSync(process.execPath, ['bin/infrascope.mjs', '--data-dir', dataDir, ...args], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    };
    cli(['store', 'key', 'generate', '--out', key]);
    const t0 = performance.now();
    cli(['--store-key-file', key, 'store', 'copy', '--to', url]);
    console.log(`Copied into PostgreSQL in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await measureServe(dataDir, url, title('PostgreSQL'));
  } finally {
    await cluster.stop();
  }
}

async function measureServe(dataDir: string, store: string | null, title: string): Promise<void> {
  const served = await startServe(dataDir, ['--no-sync'], undefined, store ? { store } : {});
  try {
    printUi(title, await measureUi(served.url, CASES), process.argv.includes('--verbose'));
  } finally {
    await served.stop();
  }
}

await main();
