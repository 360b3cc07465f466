/**
 * The human part: each round mails its reviewers and runs the SLA ladder — a reminder at T1,
 * escalation along the chain at T2 (and every T2 after), expiry with the policy's default outcome.
 * A new round (edited or revised version) starts the ladder again.
 */
import { condition } from '@temporalio/workflow';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';
import { NoticePurpose } from '../src/domain/notice';
import { describeDrift } from './approval-state';
import { undecidedReviewers } from './notices';
import type { Run } from './run-context';

const inReview = (s: ApprovalState): boolean => s.status === Status.awaitingApproval || s.status === Status.changesRequested;

export async function runReview(run: Run): Promise<void> {
  do {
    await reviewRound(run);
  } while (inReview(run.get()));
  // Usually empty by now; an await costs promises, and each one a stack capture in the SDK.
  if (run.outbox.size > 0) await run.outbox.flush(run.get());
}

async function reviewRound(run: Run): Promise<void> {
  const { sla } = run.get().evaluation!;
  const round = run.get().round;
  const start = Date.now();
  const expireAt = start + sla.expireAfterMs;
  let remindAt = sla.remindAfterMs ? start + sla.remindAfterMs : Infinity;
  let escalateAt = sla.escalateAfterMs ? start + sla.escalateAfterMs : Infinity;
  run.apply({ type: 'round_opened', deadline: new Date(expireAt).toISOString() });
  const note = describeDrift(run.get());
  run.outbox.push({ purpose: NoticePurpose.reviewRequested, recipients: undecidedReviewers(run.get()), ...(note ? { note } : {}) });

  while (inReview(run.get()) && run.get().round === round) {
    await run.outbox.flush(run.get());
    const nextAt = Math.min(remindAt, escalateAt, expireAt);
    const woke = await condition(
      () => !inReview(run.get()) || run.get().round !== round || run.outbox.size > 0,
      Math.max(1, nextAt - Date.now()),
    );
    if (woke) continue;
    const now = Date.now();
    if (now >= expireAt) {
      run.apply({ type: 'expired' });
      return;
    }
    // While the agent revises, nobody is reminded or escalated: only the expiry runs.
    if (run.get().status !== Status.awaitingApproval) {
      remindAt = escalateAt = Infinity;
      continue;
    }
    if (now >= escalateAt) {
      const level = run.get().escalationLevel;
      run.apply({ type: 'escalated', reason: 'SLA passed without a decision' });
      if (run.get().escalationLevel > level) run.outbox.queueEscalation(run.get(), 'SLA passed without a decision');
      const more = run.get().escalationLevel < run.get().evaluation!.escalation.length;
      escalateAt = more && sla.escalateAfterMs ? now + sla.escalateAfterMs : Infinity;
    }
    if (now >= remindAt) {
      remindAt = Infinity;
      run.apply({ type: 'reminded' });
      run.outbox.push({ purpose: NoticePurpose.reminder, recipients: undecidedReviewers(run.get()) });
    }
  }
}
