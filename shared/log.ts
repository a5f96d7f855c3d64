import { pino, type Logger } from 'pino';

export type { Logger };

// Field paths whose values are secrets wherever they appear in a log object (one or two levels deep).
const SECRET_KEYS = ['authorization', 'password', 'token', 'apiKey', 'appKey', 'secret', 'bearerToken', 'headers'];
export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/** JSON logs on stdout (or the given stream), with secrets redacted. */
export function createLogger(options: { level?: string; name?: string } = {}, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: options.name ?? 'rollouts-cv',
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
