import pino from 'pino';
import type { Logger as PinoLogger, DestinationStream } from 'pino';

export type Logger = PinoLogger;

/** Field paths that may hold secrets anywhere in a log record; pino replaces them with [redacted]. */
export const REDACT_PATHS = [
  'password',
  'secret',
  'token',
  'cookie',
  'authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.cookie',
  '*.authorization',
  'headers.cookie',
  'headers.authorization',
  '*.headers.cookie',
  '*.headers.authorization',
];

/**
 * The one structured logger. Hosts pass a destination (a file in the data directory, stderr for
 * the CLI); tests pass a buffer and grep it for secrets.
 */
export function createLogger(
  opts: { level?: string; destination?: DestinationStream } = {},
): Logger {
  return pino(
    {
      level: opts.level ?? process.env['INFRASCOPE_LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
    },
    opts.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
