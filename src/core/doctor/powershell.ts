import { execFile } from 'node:child_process';
import { AppError } from '../../shared/errors.js';
import type { ProbeOptions } from './probes.js';

/** The PowerShell the Hyper-V collector would start: $NODE_POWERSHELL, else pwsh (powershell.exe on Windows). */
export function powerShellPath(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string {
  return env['NODE_POWERSHELL'] || (platform === 'win32' ? 'powershell.exe' : 'pwsh');
}

/** What the local PowerShell says about itself. */
export interface LocalPowerShell {
  readonly version: string;
  /** Which of the Hyper-V and FailoverClusters modules this machine has (RSAT on Windows). */
  readonly modules: { readonly hyperV: boolean; readonly failoverClusters: boolean };
}

const MODULES_SCRIPT =
  "$PSVersionTable.PSVersion.ToString(); (Get-Module -ListAvailable -Name 'Hyper-V','FailoverClusters' " +
  "-ErrorAction SilentlyContinue | ForEach-Object { $_.Name } | Sort-Object -Unique) -join ','";

/** Reads `checkPowerShell`'s two lines: the version, then the modules found (comma-separated). */
export function parseLocalPowerShell(stdout: string): LocalPowerShell {
  const [version = '', modules = ''] = stdout.trim().split(/\r?\n/);
  const names = new Set(
    modules
      .split(',')
      .map((m) => m.trim().toLowerCase())
      .filter(Boolean),
  );
  return {
    version: version.trim(),
    modules: { hyperV: names.has('hyper-v'), failoverClusters: names.has('failoverclusters') },
  };
}

/**
 * Starts PowerShell once and returns its version and the Hyper-V modules it has, or fails with
 * POWERSHELL_UNAVAILABLE.
 */
export function checkPowerShell(exe: string, opts: ProbeOptions): Promise<LocalPowerShell> {
  return new Promise((resolve, reject) => {
    execFile(
      exe,
      ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', MODULES_SCRIPT],
      {
        timeout: opts.timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
        windowsHide: true,
      },
      (err, stdout) => {
        if (!err) {
          resolve(parseLocalPowerShell(stdout));
          return;
        }
        const code = (err as NodeJS.ErrnoException).code;
        reject(
          new AppError(
            'POWERSHELL_UNAVAILABLE',
            code === 'ENOENT'
              ? `PowerShell (${exe}) was not found on this machine. Install PowerShell 7 (pwsh) or set ` +
                  'NODE_POWERSHELL to the full path of powershell.exe or pwsh.'
              : `PowerShell (${exe}) did not start cleanly: ${err.killed ? `no answer within ${opts.timeoutMs} ms` : err.message}.`,
            { exe, cause: code ?? null },
          ),
        );
      },
    );
  });
}
