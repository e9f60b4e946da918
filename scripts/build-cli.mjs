// Bundles the CLI (and the serve host) for plain Node into out/cli/index.js.
// Dependencies stay external: better-sqlite3 is native and the rest load faster from node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/index.ts'],
  outfile: 'out/cli/index.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
