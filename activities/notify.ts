/**
 * Activity: mail the people a notice is for. Each mail's Message-ID is fixed by workflow, round,
 * purpose and person, and the mailer looks for it before sending: a retried activity never mails
 * the same person twice for the same thing.
 *
 * A recipient the mail server refuses for good (5xx, a bad address) does not stop the others: the
 * rest are mailed, and the attempt then fails as NotificationUndeliverable (not retried) naming
 * who was refused, so the run records it. A temporary failure fails the attempt and is retried.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../src/domain/errors';
import type { PolicyEvaluation } from '../src/domain/evaluation';
import { notificationMessageIdFor } from '../src/domain/ids';
import type { Proposal } from '../src/domain/proposal';
import type { LinkKeyring } from '../src/links/keyring';
import type { BytesSigner } from '../src/links/decision-signer';
import { issueLinkToken } from '../src/links/link-issuer';
import { newNonce } from '../src/links/token';
import { MailAddressError, MailSendError, type Mailer } from '../src/mail/mailer';
import type { AuditLog } from '../src/audit/chain';
import { auditEntries } from '../src/audit/record';
import type { ApprovalState } from '../src/domain/state';
import { renderNotification } from '../src/mail/render';
import type { Logger } from '../src/observability/logger';
import { NoticePurpose, type Notice, type UndeliverableRecipient } from '../src/domain/notice';
import { postCards, wantsSlack, type PostedCard, type SlackNotifyDeps, type TokenIssuer } from '../src/slack/notify-cards';

export interface NotifyInput extends Notice {
  workflowId: string;
  round: number;
  proposal: Proposal;
  evaluation: PolicyEvaluation;
  paramsHash: string;
  deadline?: string;
  outcome?: { status: string; reason?: string };
  /**
   * The run's state when the notice was queued, without the proposal (carried above) and the
   * decisions' signatures: the audit entries so far ride on the mail, appended as they happen.
   */
  auditState?: Omit<ApprovalState, 'proposal'>;
}

export interface NotifyDeps {
  mailer: Mailer;
  linkKeyring: LinkKeyring;
  /** The worker's link-grant key: only the worker can issue a link that decides. */
  grantSigner: BytesSigner;
  publicUrl: string;
  linkTtlMs: number;
  logger: Logger;
  /** Slack, when configured (GATEHOUSE_SLACK_BOT_TOKEN): cards for policies whose channels include slack. */
  slack?: SlackNotifyDeps;
  /** Where the entries riding on a notice are appended (idempotent by entry id). */
  auditLog?: AuditLog;
}

/** Notices that ask someone to decide: these get a Slack card. */
const CARD_PURPOSES: ReadonlySet<string> = new Set([
  NoticePurpose.reviewRequested,
  NoticePurpose.reminder,
  NoticePurpose.escalated,
  NoticePurpose.delegated,
]);

export function createNotify(deps: NotifyDeps) {
  const domain = new URL(deps.publicUrl).hostname || 'gatehouse.local';
  return async function notify(input: NotifyInput): Promise<{ sent: number; alreadySent: number; cards?: PostedCard[] }> {
    await appendAudit(input);
    const cards = await slackCards(input);
    let sent = 0;
    let alreadySent = 0;
    const refused: UndeliverableRecipient[] = [];
    let temporary: Error | undefined;
    for (const recipient of input.recipients) {
      if (!recipient.reviewer.email || slackOnly(input, recipient.reviewer.id)) continue;
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
    return { sent, alreadySent, ...(cards.length > 0 ? { cards } : {}) };
  };

  /**
   * Slack has no Message-ID to look up, so cards are posted on the first attempt only: a retry
   * for a mail server's hiccup must not post every card again. A failure to post is logged and
   * leaves the mail (or, in Slack-only policies, the reminders) to reach the reviewer.
   */
  /** The run's entries so far; a failure waits for the run's final append rather than holding the mail. */
  async function appendAudit(input: NotifyInput): Promise<void> {
    if (!input.auditState || !deps.auditLog) return;
    try {
      await deps.auditLog.append(auditEntries({ ...input.auditState, proposal: input.proposal }));
    } catch (err) {
      deps.logger.warn({ workflowId: input.workflowId, err: (err as Error).message }, 'audit entries not appended with the notice');
    }
  }

  async function slackCards(input: NotifyInput): Promise<PostedCard[]> {
    const slack = deps.slack;
    if (!slack || !wantsSlack(input.evaluation) || !CARD_PURPOSES.has(input.purpose) || attempt() > 1) return [];
    const recipients = input.recipients.flatMap((r) => (r.role ? [{ reviewerId: r.reviewer.id, role: r.role }] : []));
    try {
      return await postCards(slack, { ...input, recipients }, cardTokens(deps, input));
    } catch (err) {
      deps.logger.warn({ workflowId: input.workflowId, purpose: input.purpose, err }, 'slack cards not posted');
      return [];
    }
  }

  /**
   * A Slack-only policy (`channels: [slack]`) still mails whoever cannot get a card: people with
   * no `slackId`, everyone while Slack is not configured, and every notice that is not a card.
   */
  function slackOnly(input: NotifyInput, reviewerId: string): boolean {
    const channels = input.evaluation.channels;
    if (!channels || channels.includes('email') || !deps.slack || !CARD_PURPOSES.has(input.purpose)) return false;
    return deps.slack.people.some((p) => p.id === reviewerId && p.slackId !== undefined);
  }

  function linkFor(input: NotifyInput, reviewerId: string, role: string): string {
    return `${deps.publicUrl.replace(/\/$/, '')}/d/${tokenFor(deps, input, reviewerId, role, 'link')}`;
  }
}

type TokenDeps = Pick<NotifyDeps, 'linkKeyring' | 'grantSigner' | 'publicUrl' | 'linkTtlMs'>;
type TokenRun = {
  workflowId: string;
  round: number;
  deadline?: string | undefined;
  evaluation?: { sla: { linkTtlMs?: number | undefined } };
};

/** A link token (or a Slack card's token) for one reviewer of this round, valid until the deadline at most. */
function tokenFor(deps: TokenDeps, run: TokenRun, reviewerId: string, role: string, channel: 'link' | 'slack'): string {
  const deadlineMs = run.deadline ? Date.parse(run.deadline) : Infinity;
  // Every mail mints its own links: a reminder or escalation carries fresh ones, whatever became
  // of the first mail's. The policy may set their lifetime (a run that waits for weeks).
  const ttl = run.evaluation?.sla.linkTtlMs ?? deps.linkTtlMs;
  const exp = Math.floor(Math.min(deadlineMs, Date.now() + ttl) / 1000);
  return issueLinkToken(
    { wf: run.workflowId, round: run.round, sub: reviewerId, role, exp, nonce: newNonce() },
    { keyring: deps.linkKeyring, grantSigner: deps.grantSigner },
    channel,
  );
}

/** Mints the tokens of a card: only the worker holds the grant key. */
export function cardTokens(deps: TokenDeps, run: TokenRun): TokenIssuer {
  return (claims, channel) => {
    const token = tokenFor(deps, run, claims.sub, claims.role, channel);
    return { token, url: `${deps.publicUrl.replace(/\/$/, '')}/d/${token}` };
  };
}

/** The activity's attempt number; 1 outside an activity (a direct call in a test). */
function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/** A 5xx answer or an address the mailer refuses: the same mail fails the same way every time. */
function isPermanent(err: unknown): boolean {
  return (err instanceof MailSendError && err.permanent) || err instanceof MailAddressError;
}
