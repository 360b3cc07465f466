/**
 * The sent-mail index of the dev inbox: asks maildev's REST API whether a Message-ID is already
 * in the inbox. In production the SMTP provider's own log (or a store of ours) plays this part.
 *
 * maildev 2.x: `GET {base}/email` returns every stored mail as JSON. Its parser keeps the
 * Message-ID in `messageId` with the angle brackets stripped, and the raw header in
 * `headers['message-id']` with them, so both forms are compared without brackets.
 */
import { z } from 'zod';
import type { SentMailIndex } from './mailer';

/** Thrown when the maildev API cannot be reached or answers with something unexpected. */
export class SentIndexError extends Error {
  override readonly name = 'SentIndexError';
}

const MaildevMailSchema = z.looseObject({
  messageId: z.string().optional(),
  headers: z.record(z.string(), z.unknown()).optional(),
});
const MaildevMailListSchema = z.array(MaildevMailSchema);

export interface MaildevSentIndexOptions {
  /** Per request; a slow inbox must not hold an activity for its whole timeout. Default 5 s. */
  timeoutMs?: number;
}

/**
 * Creates a {@link SentMailIndex} over maildev's REST API at `apiBaseUrl` (e.g.
 * `http://127.0.0.1:1080`).
 *
 * Note that maildev stores a mail only after parsing it, a moment after the SMTP server accepted
 * it, so a lookup right after a send can still miss it.
 */
export function createMaildevSentIndex(apiBaseUrl: string, options: MaildevSentIndexOptions = {}): SentMailIndex {
  const url = `${apiBaseUrl.replace(/\/+$/, '')}/email`;
  const timeoutMs = options.timeoutMs ?? 5_000;
  return {
    async hasMessage(messageId) {
      const wanted = bare(messageId);
      const mails = await fetchMails(url, timeoutMs);
      return mails.some((mail) => {
        const header = mail.headers?.['message-id'];
        const headerIds = Array.isArray(header) ? header : [header];
        return (
          (mail.messageId !== undefined && bare(mail.messageId) === wanted) ||
          headerIds.some((h) => typeof h === 'string' && bare(h) === wanted)
        );
      });
    },
  };
}

async function fetchMails(url: string, timeoutMs: number): Promise<z.infer<typeof MaildevMailListSchema>> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new SentIndexError(`maildev API at ${url} is unreachable`, { cause: err });
  }
  if (!response.ok) {
    throw new SentIndexError(`maildev API at ${url} answered ${response.status}`);
  }
  const parsed = MaildevMailListSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) {
    throw new SentIndexError(`maildev API at ${url} returned an unexpected shape`, { cause: parsed.error });
  }
  return parsed.data;
}

function bare(messageId: string): string {
  const trimmed = messageId.trim();
  return trimmed.startsWith('<') && trimmed.endsWith('>') ? trimmed.slice(1, -1) : trimmed;
}
