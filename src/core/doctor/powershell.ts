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

/** Starts PowerShell once and returns its version, or fails with POWERSHELL_UNAVAILABLE. */
export function checkPowerShell(exe: string, opts: ProbeOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      exe,
      [
        '-NoLogo',
        '-NoProfile',
        '-NonInteractive',
        '-Command',
        '$PSVersionTable.PSVersion.ToString()',
      ],
      {
        timeout: opts.timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
        windowsHide: true,
      },
      (err, stdout) => {
        if (!err) {
          resolve(stdout.trim());
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
