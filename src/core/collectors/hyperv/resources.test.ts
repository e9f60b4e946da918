import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HYPERV_SCRIPTS, resourcesDir, scriptPath, unpacked } from './resources.js';
import { psQuote } from './session.js';

describe('Hyper-V scripts on disk', () => {
  it('are found from the package root, whether running from src/ or a bundle in out/', () => {
    const root = mkdtempSync(join(tmpdir(), 'infrascope-res-'));
    try {
      writeFileSync(join(root, 'package.json'), '{}');
      mkdirSync(join(root, 'resources', 'hyperv'), { recursive: true });
      mkdirSync(join(root, 'out', 'cli'), { recursive: true });
      const bundle = pathToFileURL(join(root, 'out', 'cli', 'index.js')).href;
      expect(resourcesDir({}, bundle)).toBe(join(root, 'resources'));
      expect(resourcesDir({ INFRASCOPE_RESOURCES_DIR: '/opt/x/res' }, bundle)).toBe('/opt/x/res');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('points PowerShell at the unpacked copy inside a packaged app', () => {
    expect(unpacked('/opt/Infrascope/resources/app.asar/resources')).toBe(
      '/opt/Infrascope/resources/app.asar.unpacked/resources',
    );
    expect(unpacked('C:\\Program Files\\Infrascope\\resources\\app.asar\\resources')).toBe(
      'C:\\Program Files\\Infrascope\\resources\\app.asar.unpacked\\resources',
    );
    expect(unpacked('/work/main/resources')).toBe('/work/main/resources');
  });

  it('each carries its marker, selects enums as strings and emits one compressed document', () => {
    for (const name of HYPERV_SCRIPTS) {
      const path = scriptPath(name);
      expect(existsSync(path)).toBe(true);
      const text = readFileSync(path, 'utf8');
      expect(text).toMatch(new RegExp(`^# infrascope-script: ${name}$`, 'm'));
      expect(text).toMatch(/ConvertTo-Json -Depth 6 -Compress/);
      expect(text).toMatch(/\.State\.ToString\(\)/);
      // The password never appears as a script parameter: only a PSCredential does.
      expect(text).not.toMatch(/\$Password|AsPlainText/);
    }
  });

  it('quotes strings for PowerShell, including its typographic quotes', () => {
    expect(psQuote("O'Brien")).toBe("'O''Brien'");
    expect(psQuote('a\u2019b')).toBe("'a\u2019\u2019b'");
    expect(psQuote('$env:x `n')).toBe("'$env:x `n'");
  });
});
