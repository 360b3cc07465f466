/**
 * `email.send`: one message per approved action, exactly as approved (To, Cc, Bcc, Reply-To,
 * text, HTML). The Message-ID is derived from the idempotency key and written to a durable
 * outbox before the SMTP send; the entry is marked sent after it. A retry reads the outbox, never
 * this process's memory:
 *
 * - `sent`: nothing to do;
 * - `failed` (the server refused, or no session was made): sent again;
 * - `sending` (a worker died mid-send, delivery unknown): the sent-mail index decides when there
 *   is one; otherwise the configured policy: `resend` with the same Message-ID (receivers that
 *   dedupe by Message-ID show one mail), or `needs_attention` (default): nothing is sent, verify
 *   reports the delivery unconfirmed and the run goes to an operator.
 */
import { createHash } from 'node:crypto';
import { CommitRejectedError, type CommitOutcome, type CommitRecord, type Executor } from '../../src/actions/executor';
import type { EmailSendParams } from '../../src/actions/schemas';
import { canonicalJson } from '../../src/domain/canonical-hash';
import { MailAddressError, MailSendError, type Mailer, type SentMailIndex } from '../../src/mail/mailer';
import { OutboxStatus, type EmailOutbox, type OutboxEntry } from './email-outbox';

export const UncertainSendPolicy = {
  resend: 'resend',
  needsAttention: 'needs_attention',
} as const;
export type UncertainSendPolicy = (typeof UncertainSendPolicy)[keyof typeof UncertainSendPolicy];

export interface EmailSendExecutorOptions {
  mailer: Mailer;
  outbox: EmailOutbox;
  /** A mailbox that shows what was delivered (the dev inbox); consulted before any resend. */
  sentIndex?: SentMailIndex;
  onUncertain?: UncertainSendPolicy;
}

export function messageIdForAction(idempotencyKey: string): string {
  return `<${idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '-')}@gatehouse.action>`;
}

/** What the outbox keeps of a mail: every header as approved and a hash of the bodies. */
function envelopeOf(params: EmailSendParams): Record<string, unknown> {
  const body = createHash('sha256')
    .update(JSON.stringify([params.text, params.html ?? null]))
    .digest('hex');
  return {
    to: params.to,
    cc: params.cc ?? [],
    bcc: params.bcc ?? [],
    replyTo: params.replyTo ?? null,
    subject: params.subject,
    html: params.html !== undefined,
    bodySha256: body,
  };
}

/** Canonical: PostgreSQL's jsonb does not keep key order. */
const sameEnvelope = (a: Record<string, unknown>, b: Record<string, unknown>): boolean => canonicalJson(a) === canonicalJson(b);

function recordOf(entry: OutboxEntry, extra: CommitRecord = {}): CommitRecord {
  const envelope = entry.envelope as { to: string[]; cc: string[]; bcc: string[] };
  return {
    messageId: entry.messageId,
    outbox: entry.status,
    attempts: entry.attempts,
    recipients: envelope.to.length + envelope.cc.length + envelope.bcc.length,
    ...extra,
  };
}

/** A mailbox files a mail a moment after accepting it: when the outbox says sent, look a few times. */
async function inMailbox(index: SentMailIndex, messageId: string, expected: boolean): Promise<boolean> {
  for (let look = 1; ; look++) {
    if (await index.hasMessage(messageId)) return true;
    if (!expected || look >= MAILBOX_LOOKS) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}
const MAILBOX_LOOKS = 10;

export function createEmailSendExecutor(options: EmailSendExecutorOptions): Executor<EmailSendParams> {
  const { mailer, outbox, sentIndex } = options;
  const onUncertain = options.onUncertain ?? UncertainSendPolicy.needsAttention;

  async function send(params: EmailSendParams, entry: OutboxEntry): Promise<CommitOutcome> {
    try {
      const result = await mailer.send({
        to: params.to.join(', '),
        ...(params.cc?.length ? { cc: params.cc.join(', ') } : {}),
        ...(params.bcc?.length ? { bcc: params.bcc.join(', ') } : {}),
        ...(params.replyTo !== undefined ? { replyTo: params.replyTo } : {}),
        subject: params.subject,
        text: params.text,
        ...(params.html !== undefined ? { html: params.html } : {}),
        messageId: entry.messageId,
      });
      await outbox.mark(entry.idempotencyKey, OutboxStatus.sent);
      return { alreadyApplied: result.alreadySent, record: recordOf({ ...entry, status: OutboxStatus.sent }) };
    } catch (err) {
      if (err instanceof MailAddressError) {
        await outbox.mark(entry.idempotencyKey, OutboxStatus.failed);
        throw new CommitRejectedError(`email.send refused: ${err.message}`, { cause: err });
      }
      if (err instanceof MailSendError && err.notDelivered) {
        // Known not delivered: the next attempt may send without any doubt.
        await outbox.mark(entry.idempotencyKey, OutboxStatus.failed);
        if (err.permanent) throw new CommitRejectedError(`email.send refused by the SMTP server: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }

  return {
    async commit(params, ctx) {
      const messageId = messageIdForAction(ctx.idempotencyKey);
      const envelope = envelopeOf(params);
      // Recorded before the send: a crash from here on leaves a trace a retry will read.
      const { claimed, entry } = await outbox.claim({ idempotencyKey: ctx.idempotencyKey, messageId, envelope });
      if (claimed) return send(params, entry);
      if (!sameEnvelope(entry.envelope, envelope))
        throw new CommitRejectedError(`email.send refused: idempotency key ${ctx.idempotencyKey} was already used for another mail`);
      switch (entry.status) {
        case OutboxStatus.sent:
          return { alreadyApplied: true, record: recordOf(entry) };
        case OutboxStatus.failed:
          return send(params, await outbox.retry(ctx.idempotencyKey));
        case OutboxStatus.sending: {
          if (sentIndex && (await sentIndex.hasMessage(messageId))) {
            await outbox.mark(ctx.idempotencyKey, OutboxStatus.sent);
            return { alreadyApplied: true, record: recordOf({ ...entry, status: OutboxStatus.sent }) };
          }
          if (onUncertain === UncertainSendPolicy.resend) {
            ctx.logger.warn({ messageId }, 'email.send: an earlier attempt died mid-send; sending again with the same Message-ID');
            return send(params, await outbox.retry(ctx.idempotencyKey));
          }
          ctx.logger.warn({ messageId }, 'email.send: an earlier attempt died mid-send; not sending again');
          return { alreadyApplied: true, record: recordOf(entry, { uncertain: true }) };
        }
        default: {
          const never: never = entry.status;
          throw new Error(`unknown outbox status ${String(never)}`);
        }
      }
    },

    async verify(params, _record, ctx) {
      const entry = await outbox.get(ctx.idempotencyKey);
      const matches = entry !== undefined && sameEnvelope(entry.envelope, envelopeOf(params));
      const observed: Record<string, unknown> = {
        messageId: messageIdForAction(ctx.idempotencyKey),
        outbox: entry?.status ?? 'missing',
        matchesApproved: matches,
      };
      let ok = entry?.status === OutboxStatus.sent && matches;
      if (sentIndex) {
        const found = await inMailbox(sentIndex, messageIdForAction(ctx.idempotencyKey), entry?.status === OutboxStatus.sent);
        observed['foundInMailbox'] = found;
        ok &&= found;
      }
      return { ok, observed };
    },
  };
}
