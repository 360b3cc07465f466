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
  // The policy's redacted fields all live in a proposal's params or evidence, and agent or reviewer
  // text (summary, comments, an edited version) can repeat them: none of it is logged in clear,
  // wherever it sits, so no log line depends on knowing which fields a policy redacts.
  'params',
  '*.params',
  '*.*.params',
  'originalParams',
  '*.originalParams',
  'editedParams',
  '*.editedParams',
  'evidence',
  '*.evidence',
  '*.*.evidence',
  'proposal',
  '*.proposal',
  'summary',
  '*.summary',
  'comment',
  '*.comment',
  'signature',
  '*.signature',
  'privateKey',
  '*.privateKey',
];

export type { Logger };

/** `toStderr`: for processes whose stdout is a protocol channel (the MCP gateway over stdio). */
export function createLogger(options: { level?: string; name?: string; toStderr?: boolean } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'gatehouse',
      level: options.level ?? 'info',
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
    },
    options.toStderr ? pino.destination(2) : undefined,
  );
}
