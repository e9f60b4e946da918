/**
 * One long-lived PowerShell process per endpoint, driven through node-powershell.
 *
 * node-powershell starts `<exe> -NoLogo ... -NoExit -Command -` and, for each command, writes to
 * its stdin: a random delimiter echoed on stderr and stdout, the command, then the delimiter again;
 * the result is what each stream printed between the two delimiters. We add what it lacks: a
 * watchdog (a command that outlives its deadline kills the process; the next command starts a new
 * one), a cap on output size, cancellation, typed errors, and the credential hand-over.
 *
 * The password reaches PowerShell on stdin as data, never as code: we write the statement
 * `$InfrascopeSecretLine = [Console]::In.ReadLine()` and, on the next line, the password (base64 of
 * its UTF-8 bytes, so no console code page or quote can mangle it). PowerShell reads that line as
 * input, so script block logging and transcripts never see it, and node-powershell's history and
 * debug output never hold it. It never appears in a process argument or environment variable.
 */
import type { ChildProcess } from 'node:child_process';
import { EOL } from 'node:os';
import { PowerShell } from 'node-powershell';
import { AppError, isAppError } from '../../../shared/errors.js';
import type { Logger } from '../../logger.js';

export interface PowerShellSessionOptions {
  /** Named in every error ("hv01"). */
  readonly endpoint: string;
  /** DOMAIN\user or user@domain; with an empty password the current Windows identity is used. */
  readonly username: string;
  readonly password: string;
  readonly log: Logger;
  /** PowerShell to start (settings / --pwsh). NODE_POWERSHELL, when set, wins (node-powershell). */
  readonly executable?: string | undefined;
  /** Output larger than this (characters) kills the command: a runaway script, not an inventory. */
  readonly maxOutputChars?: number;
  /** Deadline to start PowerShell and hand it the credential. */
  readonly startTimeoutMs?: number;
  /** Environment of the PowerShell process (default: ours). Never holds the secret. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** What runs, for errors and logs ("get-nodes"). */
  readonly label: string;
  /** The sync's logger, from this command on. */
  readonly log?: Logger;
}

export interface RunOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** The parts of node-powershell's shell it keeps private but a watchdog needs. */
interface ShellInternals {
  readonly process: ChildProcess;
  readonly exitPromise: Promise<void>;
}

function internalsOf(shell: PowerShell): ShellInternals {
  const proc: unknown = Reflect.get(shell, 'process');
  const exit: unknown = Reflect.get(shell, 'exitPromise');
  if (typeof proc !== 'object' || proc === null || !('pid' in proc) || !(exit instanceof Promise)) {
    throw new AppError(
      'INTERNAL',
      'This node-powershell version is not the one Infrascope was built for.',
    );
  }
  return { process: proc as ChildProcess, exitPromise: exit as Promise<void> };
}

interface Live {
  readonly shell: PowerShell;
  readonly pid: number | undefined;
  exited: boolean;
  exitCode: number | null;
  spawnError: NodeJS.ErrnoException | null;
  readonly exit: Promise<void>;
  psVersion: string;
}

/** Quotes a string for PowerShell: single quotes, with PowerShell's own quote characters doubled. */
export function psQuote(s: string): string {
  return `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, (c) => c + c)}'`;
}

const INIT =
  "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue'; " +
  "$WarningPreference = 'SilentlyContinue'; $InformationPreference = 'SilentlyContinue'; " +
  'try { [Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false) } catch { }; ' +
  "'infrascope-ready ' + $PSVersionTable.PSVersion.ToString()";

const SECRET_READER = '$InfrascopeSecretLine = [Console]::In.ReadLine()';

/** The variable that holds the endpoint's PSCredential inside the session. */
export const CREDENTIAL_VARIABLE = '$InfrascopeCredential';

/**
 * A PowerShell process for one endpoint. Commands run one at a time; a dead or killed process is
 * replaced on the next command.
 */
export class PowerShellSession {
  private live: Live | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private secret: string;
  private secretB64: string;
  private disposed = false;
  private starts = 0;
  private log: Logger;

  constructor(private readonly opts: PowerShellSessionOptions) {
    this.log = opts.log;
    this.secret = opts.password;
    this.secretB64 = Buffer.from(opts.password, 'utf8').toString('base64');
  }

  /** Whether scripts get `-Credential $InfrascopeCredential` (false: integrated Windows auth). */
  get hasCredential(): boolean {
    return this.secret !== '' && this.opts.username !== '';
  }

  /** How many PowerShell processes this session started (1 unless the watchdog restarted it). */
  get processStarts(): number {
    return this.starts;
  }

  /** The running PowerShell's version, once started. */
  get psVersion(): string | null {
    return this.live?.psVersion ?? null;
  }

  /** Removes the secret (in plain and base64 form) from text that may reach a message or log. */
  scrub(text: string): string {
    let out = text;
    for (const s of [this.secret, this.secretB64]) {
      if (s.length >= 3) out = out.split(s).join('[redacted]');
    }
    return out;
  }

  /** Runs one command (after the previous ones) and returns what it printed. */
  run(command: string, opts: RunOptions): Promise<RunOutput> {
    const next = this.tail.then(
      () => this.runNow(command, opts),
      () => this.runNow(command, opts),
    );
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async runNow(command: string, opts: RunOptions): Promise<RunOutput> {
    if (this.disposed) throw new AppError('CANCELLED', 'The PowerShell session is closed.');
    if (opts.signal.aborted) throw new AppError('CANCELLED', 'Cancelled.');
    if (opts.log) this.log = opts.log;
    const live = await this.ensureStarted(opts.signal);
    return this.invoke(live, command, opts);
  }

  private spawn(): Live {
    const shell = new PowerShell({
      ...(this.opts.executable ? { executable: this.opts.executable } : {}),
      executableOptions: {
        '-NoProfile': true,
        '-NonInteractive': true,
        '-ExecutionPolicy': 'Bypass',
      },
      spawnOptions: { windowsHide: true, env: this.opts.env ?? process.env },
      throwOnInvocationError: false,
    });
    const { process: child, exitPromise } = internalsOf(shell);
    const live: Live = {
      shell,
      pid: child.pid,
      exited: false,
      exitCode: null,
      spawnError: null,
      psVersion: '',
      // node-powershell's exit promise rejects when the process dies; without this handler a crash
      // between two commands would be an unhandled rejection.
      exit: exitPromise.then(
        () => {
          live.exited = true;
        },
        () => {
          live.exited = true;
        },
      ),
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      live.spawnError = e;
    });
    child.once('exit', (code) => {
      live.exited = true;
      live.exitCode = code;
    });
    // Writes to a dead process fail asynchronously on stdin; node-powershell listens only once.
    shell.streams.stdin.on('error', () => undefined);
    this.starts++;
    return live;
  }

  private async ensureStarted(signal: AbortSignal): Promise<Live> {
    if (this.live && !this.live.exited) return this.live;
    const live = this.spawn();
    this.live = live;
    const timeoutMs = this.opts.startTimeoutMs ?? 60_000;
    const ready = await this.invoke(live, INIT, { timeoutMs, signal, label: 'start' });
    const m = /infrascope-ready (\S+)/.exec(ready.stdout);
    if (!m) {
      await this.kill(live);
      throw new AppError(
        'POWERSHELL_UNAVAILABLE',
        `The program started as PowerShell did not answer like PowerShell${ready.stderr ? `: ${this.scrub(ready.stderr).slice(0, 200)}` : '.'}`,
        { endpoint: this.opts.endpoint },
      );
    }
    live.psVersion = m[1] ?? '';
    this.log.debug(
      { endpoint: this.opts.endpoint, pid: live.pid, psVersion: live.psVersion },
      'PowerShell started',
    );
    if (this.hasCredential) {
      // No invocation is in flight (commands are serialized), so these two lines reach PowerShell
      // between node-powershell's delimiters: the first is code, the second only data.
      live.shell.streams.stdin.write(`${SECRET_READER}${EOL}${this.secretB64}${EOL}`);
      const made = await this.invoke(
        live,
        `${CREDENTIAL_VARIABLE} = New-Object System.Management.Automation.PSCredential(` +
          `${psQuote(this.opts.username)}, (ConvertTo-SecureString -String ` +
          '([System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($InfrascopeSecretLine))) ' +
          "-AsPlainText -Force)); Remove-Variable -Name InfrascopeSecretLine; 'credential-ready'",
        { timeoutMs, signal, label: 'credential' },
      );
      if (!made.stdout.includes('credential-ready')) {
        await this.kill(live);
        throw new AppError(
          'POWERSHELL_UNAVAILABLE',
          `PowerShell did not take the credential for ${this.opts.endpoint}${made.stderr ? `: ${this.scrub(made.stderr).slice(0, 200)}` : '.'}`,
          { endpoint: this.opts.endpoint },
        );
      }
    }
    return live;
  }

  private died(live: Live, label: string): AppError {
    if (this.disposed) return new AppError('CANCELLED', 'The PowerShell session was closed.');
    const e = live.spawnError;
    if (e && (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'ENOEXEC')) {
      return new AppError(
        'POWERSHELL_UNAVAILABLE',
        `PowerShell could not be started (${e.code}). Install PowerShell 7 (pwsh), or set its path in ` +
          'the settings (--pwsh PATH) or in NODE_POWERSHELL.',
        { endpoint: this.opts.endpoint, cause: e.code },
      );
    }
    if (label === 'start') {
      return new AppError(
        'POWERSHELL_UNAVAILABLE',
        `PowerShell exited as it started${live.exitCode !== null ? ` (exit code ${live.exitCode})` : ''}.`,
        { endpoint: this.opts.endpoint },
      );
    }
    return new AppError(
      'CONNECTION_LOST',
      `PowerShell exited unexpectedly${live.exitCode !== null ? ` (exit code ${live.exitCode})` : ''} while running ${label} for ${this.opts.endpoint}; the next attempt starts a new one.`,
      { endpoint: this.opts.endpoint, script: label },
    );
  }

  private async invoke(live: Live, command: string, opts: RunOptions): Promise<RunOutput> {
    const max = this.opts.maxOutputChars ?? 256 * 1024 * 1024;
    const stdout = live.shell.streams.stdout;
    let seen = 0;
    let stop: (e: AppError) => void = () => undefined;
    const stopped = new Promise<never>((_, reject) => {
      stop = reject;
    });
    const onData = (chunk: string | Buffer): void => {
      seen += chunk.length;
      if (seen > max) {
        stop(
          new AppError(
            'PROTOCOL_ERROR',
            `PowerShell wrote more than ${max} characters for ${opts.label} on ${this.opts.endpoint}; stopped it.`,
            { endpoint: this.opts.endpoint, script: opts.label },
          ),
        );
      }
    };
    const timer = setTimeout(() => {
      stop(
        new AppError(
          'TIMEOUT',
          `PowerShell did not finish ${opts.label} for ${this.opts.endpoint} within ${Math.round(opts.timeoutMs / 1000)} s; it was stopped and will be restarted.`,
          { endpoint: this.opts.endpoint, script: opts.label, timeoutMs: opts.timeoutMs },
        ),
      );
    }, opts.timeoutMs);
    const onAbort = (): void => stop(new AppError('CANCELLED', 'Cancelled.'));
    opts.signal.addEventListener('abort', onAbort, { once: true });
    stdout.on('data', onData);
    const started = Date.now();
    try {
      const result = await Promise.race([live.shell.invoke(command), stopped]);
      // node-powershell keeps every command and its output; a long-lived session must not.
      live.shell.history.splice(0);
      if (live.exited) throw this.died(live, opts.label);
      const out = {
        stdout: result.stdout?.toString('utf8') ?? '',
        stderr: result.stderr?.toString('utf8') ?? '',
      };
      this.log.debug(
        {
          endpoint: this.opts.endpoint,
          script: opts.label,
          ms: Date.now() - started,
          chars: out.stdout.length,
          hadErrors: out.stderr !== '',
        },
        'PowerShell command done',
      );
      return out;
    } catch (e) {
      if (isAppError(e) && e.code !== 'CONNECTION_LOST' && e.code !== 'POWERSHELL_UNAVAILABLE') {
        // The watchdog: a hung, cancelled or runaway command leaves the shell mid-protocol.
        await this.kill(live);
        if (e.code === 'TIMEOUT')
          this.log.warn({ endpoint: this.opts.endpoint, script: opts.label }, e.message);
        throw e;
      }
      if (isAppError(e)) throw e;
      // node-powershell's ProcessError: the process is gone (or never started).
      await Promise.race([live.exit, delay(2000)]);
      live.exited = true;
      throw this.died(live, opts.label);
    } finally {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      stdout.off('data', onData);
    }
  }

  private async kill(live: Live): Promise<void> {
    if (!live.exited) {
      live.shell.dispose('SIGKILL').catch(() => undefined);
      await Promise.race([live.exit, delay(5000)]);
    }
    live.exited = true;
    if (this.live === live) this.live = null;
  }

  /** Ends the process (politely, then by force) and forgets the secret. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.secret = '';
    this.secretB64 = '';
    const live = this.live;
    this.live = null;
    if (!live || live.exited) return;
    live.shell.streams.stdin.write(`exit${EOL}`);
    await Promise.race([live.exit, delay(2000)]);
    await this.kill(live);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
}
