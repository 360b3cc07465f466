/**
 * `email.send`: one message per approved action. The Message-ID is derived from the idempotency
 * key, and the mailer looks for that Message-ID before sending, so a retry never mails twice.
 */
import type { EmailSendParams } from '../../src/actions/schemas';
import type { Executor } from '../../src/actions/executor';
import type { Mailer, SentMailIndex } from '../../src/mail/mailer';

export function messageIdForAction(idempotencyKey: string): string {
  return `<${idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '-')}@gatehouse.action>`;
}

export function createEmailSendExecutor(mailer: Mailer, sentIndex?: SentMailIndex): Executor<EmailSendParams> {
  return {
    async commit(params, ctx) {
      const messageId = messageIdForAction(ctx.idempotencyKey);
      const result = await mailer.send({
        to: [...params.to, ...(params.cc ?? [])].join(', '),
        subject: params.subject,
        text: params.text,
        html: params.html ?? '',
        messageId,
      });
      return { alreadyApplied: result.alreadySent, record: { messageId, recipients: params.to.length + (params.cc?.length ?? 0) } };
    },
    async verify(_params, record) {
      const messageId = String(record['messageId']);
      if (!sentIndex) return { ok: true, observed: { messageId, check: 'accepted by SMTP server' } };
      const found = await sentIndex.hasMessage(messageId);
      return { ok: found, observed: { messageId, foundInMailbox: found } };
    },
  };
}
