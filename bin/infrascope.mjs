#!/usr/bin/env node
// The `infrascope` command. It runs the built CLI (npm run build creates it).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'cli', 'index.js');
if (!existsSync(entry)) {
  process.stderr.write('infrascope: the CLI is not built yet. Run: npm run build\n');
  process.exit(1);
}
await import(pathToFileURL(entry).href);
