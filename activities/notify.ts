/**
 * Activity: mail the people a notice is for. Each mail's Message-ID is fixed by workflow, round,
 * purpose and person, and the mailer looks for it before sending: a retried activity never mails
 * the same person twice for the same thing.
 *
 * A recipient the mail server refuses for good (5xx, a bad address) does not stop the others: the
 * rest are mailed, and the attempt then fails as NotificationUndeliverable (not retried) naming
 * who was refused, so the run records it. A temporary failure fails the attempt and is retried.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../src/domain/errors';
import type { PolicyEvaluation } from '../src/domain/evaluation';
import { notificationMessageIdFor } from '../src/domain/ids';
import type { Proposal } from '../src/domain/proposal';
import type { LinkKeyring } from '../src/links/keyring';
import type { BytesSigner } from '../src/links/decision-signer';
import { issueLinkToken } from '../src/links/link-issuer';
import { newNonce } from '../src/links/token';
import { MailAddressError, MailSendError, type Mailer } from '../src/mail/mailer';
import { renderNotification } from '../src/mail/render';
import type { Logger } from '../src/observability/logger';
import type { Notice, UndeliverableRecipient } from '../src/domain/notice';

export interface NotifyInput extends Notice {
  workflowId: string;
  round: number;
  proposal: Proposal;
  evaluation: PolicyEvaluation;
  paramsHash: string;
  deadline?: string;
  outcome?: { status: string; reason?: string };
}

export interface NotifyDeps {
  mailer: Mailer;
  linkKeyring: LinkKeyring;
  /** The worker's link-grant key: only the worker can issue a link that decides. */
  grantSigner: BytesSigner;
  publicUrl: string;
  linkTtlMs: number;
  logger: Logger;
}

export function createNotify(deps: NotifyDeps) {
  const domain = new URL(deps.publicUrl).hostname || 'gatehouse.local';
  return async function notify(input: NotifyInput): Promise<{ sent: number; alreadySent: number }> {
    let sent = 0;
    let alreadySent = 0;
    const refused: UndeliverableRecipient[] = [];
    let temporary: Error | undefined;
    for (const recipient of input.recipients) {
      if (!recipient.reviewer.email) continue;
      const decisionUrl = recipient.role ? linkFor(input, recipient.reviewer.id, recipient.role) : undefined;
      const mail = renderNotification({
        purpose: input.purpose,
        recipientName: recipient.reviewer.name ?? recipient.reviewer.id,
        proposal: input.proposal,
        evaluation: input.evaluation,
        paramsHash: input.paramsHash,
        round: input.round,
        ...(input.deadline ? { deadline: input.deadline } : {}),
        ...(decisionUrl ? { decisionUrl } : {}),
        ...(input.outcome ? { outcome: input.outcome } : {}),
        ...(input.note ? { note: input.note } : {}),
      });
      const messageId = notificationMessageIdFor(input.workflowId, input.round, input.purpose, recipient.reviewer.id, domain, input.seq);
      try {
        const result = await deps.mailer.send({ to: recipient.reviewer.email, messageId, ...mail });
        if (result.alreadySent) alreadySent++;
        else sent++;
      } catch (err) {
        if (!isPermanent(err)) {
          // The others are still tried now; the retry skips whoever got theirs.
          temporary ??= err instanceof Error ? err : new Error(String(err));
          continue;
        }
        refused.push({ reviewerId: recipient.reviewer.id, reason: (err as Error).message });
      }
    }
    deps.logger.info({ workflowId: input.workflowId, purpose: input.purpose, sent, alreadySent, refused: refused.length }, 'notified');
    // Rethrown as it came: the mailer's own error, which Temporal retries.
    if (temporary) throw temporary;
    if (refused.length > 0) {
      throw ApplicationFailure.create({
        message: `mail refused for good for ${refused.map((r) => r.reviewerId).join(', ')}`,
        type: FailureType.notificationUndeliverable,
        nonRetryable: true,
        details: [refused],
      });
    }
    return { sent, alreadySent };
  };

  function linkFor(input: NotifyInput, reviewerId: string, role: string): string {
    const deadlineMs = input.deadline ? Date.parse(input.deadline) : Infinity;
    // Every mail mints its own links: a reminder or escalation carries fresh ones, whatever
    // became of the first mail's. The policy may set their lifetime (a run that waits for weeks).
    const ttl = input.evaluation.sla.linkTtlMs ?? deps.linkTtlMs;
    const exp = Math.floor(Math.min(deadlineMs, Date.now() + ttl) / 1000);
    const token = issueLinkToken(
      { wf: input.workflowId, round: input.round, sub: reviewerId, role, exp, nonce: newNonce() },
      { keyring: deps.linkKeyring, grantSigner: deps.grantSigner },
    );
    return `${deps.publicUrl.replace(/\/$/, '')}/d/${token}`;
  }
}

/** A 5xx answer or an address the mailer refuses: the same mail fails the same way every time. */
function isPermanent(err: unknown): boolean {
  return (err instanceof MailSendError && err.permanent) || err instanceof MailAddressError;
}
