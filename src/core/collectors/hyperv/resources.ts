import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../../shared/errors.js';

/** The Hyper-V scripts, by the name their marker comment (`# infrascope-script: NAME`) gives. */
export const HYPERV_SCRIPTS = ['get-endpoint', 'get-nodes'] as const;
export type HyperVScript = (typeof HYPERV_SCRIPTS)[number];

/**
 * The folder holding the project's resources (`resources/hyperv/*.ps1`). The code runs from
 * src/ (tests), out/cli/index.js (the bundled CLI) or out/main/index.js (Electron), so we walk up
 * from this module to the folder with package.json. `INFRASCOPE_RESOURCES_DIR` overrides it
 * (a packaged app that moves resources elsewhere).
 */
export function resourcesDir(
  env: NodeJS.ProcessEnv = process.env,
  from: string = import.meta.url,
): string {
  const override = env['INFRASCOPE_RESOURCES_DIR'];
  if (override) return resolve(override);
  let dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (let i = 0; i < 12; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources'))) {
      return unpacked(join(dir, 'resources'));
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new AppError(
    'INTERNAL',
    'The Hyper-V scripts (resources/hyperv) were not found next to package.json; set INFRASCOPE_RESOURCES_DIR.',
  );
}

/**
 * Inside a packaged Electron app the folder sits in app.asar, which only Electron's own fs can
 * read; electron-builder unpacks resources/** next to it (asarUnpack) for PowerShell to read.
 */
export function unpacked(path: string): string {
  return path.replace(/([\\/])app\.asar(?=[\\/]|$)/, '$1app.asar.unpacked');
}

/** Absolute path of one Hyper-V script. */
export function scriptPath(name: HyperVScript, env: NodeJS.ProcessEnv = process.env): string {
  const path = join(resourcesDir(env), 'hyperv', `${name}.ps1`);
  if (!existsSync(path)) {
    throw new AppError('INTERNAL', `The Hyper-V script ${path} is missing from this installation.`);
  }
  return path;
}
