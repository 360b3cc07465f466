/**
 * The human part: each round mails its reviewers and runs the SLA ladder — a reminder at T1,
 * escalation along the chain at T2 (and every T2 after), expiry with the policy's default outcome.
 * A new round (edited or revised version) starts the ladder again.
 */
import { condition } from '@temporalio/workflow';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';
import { describeDrift, escalate, transition } from './approval-state';
import type { Run } from './approval';
import { NoticePurpose, undecidedReviewers } from './notices';

const nowIso = (): string => new Date().toISOString();
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
  const opening = run.get().status === Status.evaluating ? run.get().evaluation!.reason : undefined;
  run.set({ ...transition(run.get(), Status.awaitingApproval, nowIso(), opening), deadline: new Date(expireAt).toISOString() });
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
    if (now >= expireAt) return expire(run);
    // While the agent revises, nobody is reminded or escalated: only the expiry runs.
    if (run.get().status !== Status.awaitingApproval) {
      remindAt = escalateAt = Infinity;
      continue;
    }
    if (now >= escalateAt) {
      const level = run.get().escalationLevel;
      run.set(escalate(run.get(), nowIso(), 'escalated: SLA passed without a decision'));
      if (run.get().escalationLevel > level) run.outbox.queueEscalation(run.get(), 'SLA passed without a decision');
      const more = run.get().escalationLevel < run.get().evaluation!.escalation.length;
      escalateAt = more && sla.escalateAfterMs ? now + sla.escalateAfterMs : Infinity;
    }
    if (now >= remindAt) {
      remindAt = Infinity;
      run.outbox.push({ purpose: NoticePurpose.reminder, recipients: undecidedReviewers(run.get()) });
    }
  }
}

function expire(run: Run): void {
  if (run.get().evaluation!.onExpiry === 'approve') {
    // Written out in the policy by its risk owner; recorded so the audit shows nobody approved.
    run.set(transition(run.get(), Status.approved, nowIso(), 'expired without decision; policy default outcome: approve'));
  } else {
    run.set(transition(run.get(), Status.expired, nowIso(), 'expired without decision; policy default outcome: deny'));
  }
}
