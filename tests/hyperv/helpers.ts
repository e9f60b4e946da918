import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CollectContext, CollectorTarget } from '../../src/core/collectors/collector.js';
import type { Logger } from '../../src/core/logger.js';
import { createLogger } from '../../src/core/logger.js';

const here = dirname(fileURLToPath(import.meta.url));
export const DOUBLE = join(here, '..', 'doubles', 'powershell', 'pwsh-double.mjs');
export const FIXTURES = join(here, '..', 'doubles', 'powershell', 'fixtures');

export const PASSWORD = 'Tr0ub4dor&3-Ünïcode-€';
export const USER = 'CORP\\svc-infrascope';

export interface DoubleControl {
  readonly fixture: string;
  readonly scripts?: Record<string, string[]>;
  readonly nodeErrors?: Record<string, string>;
  readonly enormousChars?: number;
  /** Default: the double checks USER and PASSWORD. */
  readonly expectCredential?: { user: string; password: string } | null;
}

export interface RecordLine {
  readonly pid: number;
  readonly event: 'start' | 'script';
  readonly argv?: string[];
  readonly env?: Record<string, string>;
  readonly script?: string;
  readonly computers?: string[];
  readonly port?: number;
  readonly useSsl?: boolean;
  readonly credential?: boolean;
  readonly user?: string | null;
  readonly passwordOk?: boolean | null;
  readonly behaviour?: string;
  readonly command?: string;
}

export interface DoubleHandle {
  readonly dir: string;
  /** Everything the double's processes recorded, in order. */
  records(): RecordLine[];
  /** Rewrites the control file (the next command reads it). */
  control(c: DoubleControl): void;
  restore(): void;
}

/**
 * Points NODE_POWERSHELL at the double and PS_DOUBLE_CONTROL at a fresh control file. The
 * collector inherits both through process.env, as it would in production.
 */
export function useDouble(c: DoubleControl): DoubleHandle {
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-pwsh-'));
  const controlPath = join(dir, 'control.json');
  const recordPath = join(dir, 'record.jsonl');
  const saved = {
    NODE_POWERSHELL: process.env['NODE_POWERSHELL'],
    PS_DOUBLE_CONTROL: process.env['PS_DOUBLE_CONTROL'],
  };
  const write = (ctl: DoubleControl): void => {
    const cred =
      ctl.expectCredential === undefined
        ? { user: USER, password: PASSWORD }
        : ctl.expectCredential;
    writeFileSync(
      controlPath,
      JSON.stringify({
        fixture: ctl.fixture.includes('/') ? ctl.fixture : join(FIXTURES, ctl.fixture),
        record: recordPath,
        scripts: ctl.scripts ?? {},
        nodeErrors: ctl.nodeErrors ?? {},
        ...(ctl.enormousChars ? { enormousChars: ctl.enormousChars } : {}),
        ...(cred
          ? {
              expectUser: cred.user,
              expectPasswordSha256: createHash('sha256')
                .update(cred.password, 'utf8')
                .digest('hex'),
            }
          : {}),
      }),
    );
  };
  write(c);
  process.env['NODE_POWERSHELL'] = DOUBLE;
  process.env['PS_DOUBLE_CONTROL'] = controlPath;
  return {
    dir,
    records: () =>
      existsSync(recordPath)
        ? readFileSync(recordPath, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as RecordLine)
        : [],
    control: write,
    restore: () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function target(over: Partial<CollectorTarget> = {}): CollectorTarget {
  return {
    endpointId: 1,
    name: 'hv-lab',
    kind: 'hyperv',
    host: 'hv01.corp.example',
    port: 5985,
    username: USER,
    password: PASSWORD,
    thumbprint: null,
    useSsl: false,
    ...over,
  };
}

export interface CapturedLog {
  readonly log: Logger;
  text(): string;
}

/** A debug-level logger writing into a string (to grep for secrets). */
export function captureLog(): CapturedLog {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString('utf8');
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination: sink }), text: () => text };
}

export function ctxOf(
  log: Logger,
  signal: AbortSignal = new AbortController().signal,
): CollectContext & {
  phases: string[];
} {
  const phases: string[] = [];
  return {
    signal,
    log,
    phases,
    progress: (p) => phases.push(p.phase),
  };
}
