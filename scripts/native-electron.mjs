// Builds better-sqlite3 for Electron's ABI into .native/electron/v<version>/ without touching the
// Node build in node_modules, so `npm start` and `npm test` work in either order.
// Tries a prebuilt binary first (prebuild-install), then compiles against Electron's headers.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const electronVersion = JSON.parse(
  readFileSync(require.resolve('electron/package.json'), 'utf8'),
).version;
const target = join('.native', 'electron', `v${electronVersion}`, 'better_sqlite3.node');
if (existsSync(target)) process.exit(0);

const source = dirname(require.resolve('better-sqlite3/package.json'));
const work = mkdtempSync(join(tmpdir(), 'infrascope-native-'));
try {
  cpSync(source, work, {
    recursive: true,
    filter: (p) => !p.includes(`${join('build', 'Release')}`),
  });
  const run = (cmd, args) =>
    execFileSync(cmd, args, { cwd: work, stdio: 'inherit', shell: process.platform === 'win32' });
  process.stdout.write(`Building better-sqlite3 for Electron ${electronVersion}...\n`);
  try {
    run('npx', ['--yes', 'prebuild-install', '--runtime', 'electron', '--target', electronVersion]);
  } catch {
    run('npx', [
      '--yes',
      'node-gyp',
      'rebuild',
      '--release',
      `--target=${electronVersion}`,
      '--dist-url=https://electronjs.org/headers',
      '--runtime=electron',
    ]);
  }
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(work, 'build', 'Release', 'better_sqlite3.node'), target);
  process.stdout.write(`Wrote ${target}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
