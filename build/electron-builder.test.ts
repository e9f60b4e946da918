import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Configuration } from 'electron-builder';
import { describe, expect, it } from 'vitest';

/*
 * The Electron binary cannot be downloaded here, so packaging itself never runs in CI; this
 * checks what can be checked without it: electron-builder's own loader and schema accept the
 * configuration, every file it names exists, and the metadata the installers need is present.
 */

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const configFile = join(root, 'build', 'electron-builder.yml');

interface ConfigModule {
  getConfig(
    projectDir: string,
    configPath: string | null,
    configFromOptions: Configuration | null,
  ): Promise<Configuration>;
  validateConfiguration(config: Configuration, debugLogger: unknown): Promise<void>;
}
const { getConfig, validateConfiguration } =
  require('app-builder-lib/out/util/config/config.js') as ConfigModule;
const { DebugLogger } = require('builder-util') as { DebugLogger: new () => unknown };

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
  description?: string;
  homepage?: string;
  author?: { name?: string; email?: string };
  main: string;
};

async function load(): Promise<Configuration> {
  return getConfig(root, configFile, null);
}

function isPng(file: string): { width: number; height: number } | null {
  const b = readFileSync(file);
  if (b.subarray(1, 4).toString('ascii') !== 'PNG') return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('electron-builder configuration', () => {
  it("passes electron-builder's own schema validation", async () => {
    const config = await load();
    await expect(validateConfiguration(config, new DebugLogger())).resolves.toBeUndefined();
  });

  it('has the metadata the installers need (Linux targets need an author email and homepage)', async () => {
    const config = await load();
    expect(config.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/);
    expect(config.productName).toBe('Infrascope');
    expect(pkg.description).toBeTruthy();
    expect(pkg.author?.name).toBeTruthy();
    expect(pkg.author?.email).toMatch(/^[^@\s]+@[^@\s]+\.[^@\s]+$/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('builds NSIS, dmg, AppImage and deb', async () => {
    const config = await load();
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
  });

  it('names only files that exist', async () => {
    const config = await load();
    const named = [
      config.afterPack,
      config.win?.icon,
      config.mac?.icon,
      config.linux?.icon,
      config.nsis?.license,
      config.nsis?.installerIcon,
      config.nsis?.uninstallerIcon,
      config.dmg?.icon,
    ].filter((f): f is string => typeof f === 'string');
    expect(named.length).toBeGreaterThanOrEqual(8);
    for (const f of named) expect(existsSync(join(root, f)), f).toBe(true);
    const extra = config.extraResources as { from: string; to: string }[];
    for (const r of extra) expect(existsSync(join(root, r.from)), r.from).toBe(true);
    // The Hyper-V scripts travel as extra resources, where PowerShell can read them.
    expect(extra).toContainEqual(
      expect.objectContaining({ from: 'resources/hyperv', to: 'hyperv' }),
    );
    expect(existsSync(join(root, 'resources/hyperv/get-endpoint.ps1'))).toBe(true);
  });

  it('has real icons: a Linux PNG set up to 512 px, a Windows .ico and a macOS .icns', async () => {
    const config = await load();
    const dir = join(root, config.linux!.icon as string);
    expect(statSync(dir).isDirectory()).toBe(true);
    for (const size of [16, 32, 48, 64, 128, 256, 512]) {
      expect(isPng(join(dir, `${size}x${size}.png`))).toEqual({ width: size, height: size });
    }
    const ico = readFileSync(join(root, config.win!.icon as string));
    expect(ico.readUInt16LE(2)).toBe(1); // type: icon
    expect(ico.readUInt16LE(4)).toBeGreaterThanOrEqual(4); // images
    // The largest entry is 256 px (stored as 0), which Windows needs for large icons.
    const sizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => ico.readUInt8(6 + 16 * i));
    expect(sizes).toContain(0);
    const icns = readFileSync(join(root, config.mac!.icon as string));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
  });

  it('packs the built app the main field points at', () => {
    expect(pkg.main).toBe('out/main/index.js');
  });
});
