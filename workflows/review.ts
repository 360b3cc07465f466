/**
 * The human part: each round mails its reviewers and runs the SLA ladder — a reminder at T1,
 * escalation along the chain at T2 (and every T2 after), expiry with the policy's default outcome.
 * A new round (edited or revised version) starts the ladder again.
 */
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';
import { NoticePurpose } from '../src/domain/notice';
import { describeDrift } from './approval-state';
import { undecidedReviewers } from './notices';
import type { Run } from './run-context';

export const inReview = (s: ApprovalState): boolean => s.status === Status.awaitingApproval || s.status === Status.changesRequested;

/**
 * Where a round's SLA ladder stands, in workflow epoch ms (null: that step will not come): what a
 * run hands to its continuation, so the ladder goes on where it was.
 */
export interface ReviewClock {
  round: number;
  remindAt: number | null;
  escalateAt: number | null;
  expireAt: number;
}

/**
 * Past this many events a waiting run continues as new even if the server has not suggested it
 * (the server suggests it at its own threshold, 4 Ki events or 4 MB by default).
 */
export const MAX_HISTORY_EVENTS = 10_000;

/** `resume`: the round's clock, carried over from the run this one continues. */
export async function runReview(run: Run, resume?: ReviewClock): Promise<void> {
  let carried = resume;
  do {
    await reviewRound(run, carried);
    carried = undefined;
  } while (inReview(run.get()));
  // Usually empty by now; an await costs promises, and each one a stack capture in the SDK. In
  // background mode mail still being sent does not hold up the commit: the run's end waits for it.
  if (!run.background && run.outbox.size > 0) await run.outbox.flush(run.get());
}

async function reviewRound(run: Run, resume: ReviewClock | undefined): Promise<void> {
  const { sla } = run.get().evaluation!;
  const round = run.get().round;
  let expireAt: number;
  let remindAt: number;
  let escalateAt: number;
  if (resume && resume.round === round) {
    // Continued from an earlier run: the round is open and its mail sent; only the clock goes on.
    expireAt = resume.expireAt;
    remindAt = resume.remindAt ?? Infinity;
    escalateAt = resume.escalateAt ?? Infinity;
  } else {
    const start = Date.now();
    expireAt = start + sla.expireAfterMs;
    const firstReminder = sla.remindAfterMs ?? sla.remindEveryMs;
    remindAt = firstReminder ? start + firstReminder : Infinity;
    escalateAt = sla.escalateAfterMs ? start + sla.escalateAfterMs : Infinity;
    run.apply({ type: 'round_opened', deadline: new Date(expireAt).toISOString() });
    const note = describeDrift(run.get());
    run.outbox.push({ purpose: NoticePurpose.reviewRequested, recipients: undecidedReviewers(run.get()), ...(note ? { note } : {}) });
  }

  while (inReview(run.get()) && run.get().round === round) {
    // In background mode the notices pushed above and by handlers are already on their way.
    if (!run.background) await run.outbox.flush(run.get());
    // A run waiting for weeks (daily reminders, revision rounds) keeps its history bounded. Asked
    // only past the threshold, so runs recorded before this replay without the marker.
    if (historyIsLong() && patched('continue-as-new')) {
      const finite = (at: number) => (Number.isFinite(at) ? at : null);
      await run.continueAsNew({ round, remindAt: finite(remindAt), escalateAt: finite(escalateAt), expireAt });
      continue;
    }
    const nextAt = Math.min(remindAt, escalateAt, expireAt);
    const woke = await condition(
      () => !inReview(run.get()) || run.get().round !== round || (!run.background && run.outbox.size > 0),
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
      // Once, unless the policy reminds repeatedly (runs evaluated before that never have it).
      remindAt = sla.remindEveryMs ? now + sla.remindEveryMs : Infinity;
      run.apply({ type: 'reminded' });
      // The second and later reminders of a round need Message-IDs of their own: the mailer skips
      // one already sent. The first keeps the id it always had.
      const earlier = remindersThisRound(run.get()) - 1;
      run.outbox.push({
        purpose: NoticePurpose.reminder,
        recipients: undecidedReviewers(run.get()),
        ...(earlier > 0 ? { seq: earlier } : {}),
      });
    }
  }
}

/** Reminders since the round opened, from the run's own transitions (carried across a hand-over). */
function remindersThisRound(state: ApprovalState): number {
  let count = 0;
  for (let i = state.transitions.length - 1; i >= 0; i--) {
    const event = state.transitions[i]!.event;
    if (event === 'round_opened') break;
    if (event === 'reminded') count++;
  }
  return count;
}

function historyIsLong(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS;
}
