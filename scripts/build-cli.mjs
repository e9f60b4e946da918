// Bundles the CLI (and the serve host) for plain Node into out/cli/index.js.
// Dependencies are bundled too, but better-sqlite3 (native) and node-powershell (spawns its
// shell): resolving and loading kysely's, zod's and pino's hundreds of module files from
// node_modules took ~0.6 s of every command's start (1.4 s → 0.8 s for `query endpoints`).
// Bundled CommonJS (pino, ws, yauzl) requires Node's built-ins: the banner gives it `require`.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/index.ts'],
  outfile: 'out/cli/index.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'node-powershell'],
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  sourcemap: true,
  logLevel: 'warning',
});
