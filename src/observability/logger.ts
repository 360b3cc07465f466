/**
 * The one logger. Secrets, tokens and personal data are redacted at the source, so no call site
 * has to remember to.
 */
import pino, { type Logger } from 'pino';

export const REDACTED_LOG_PATHS = [
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'email',
  '*.email',
  '*.*.email',
  'params',
  '*.params',
  'evidence',
  '*.evidence',
  'signature',
  '*.signature',
  'privateKey',
  '*.privateKey',
];

export type { Logger };

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'gatehouse',
    level: options.level ?? 'info',
    redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
  });
}
