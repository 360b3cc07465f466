/**
 * Mail the workflow owes people. Handlers cannot await activities without racing the main loop,
 * so they queue notices in the outbox and the story's steps send them.
 */
import type { SignedDecision } from '../src/domain/decision';
import { NoticePurpose, type Notice, type Recipient } from '../src/domain/notice';
import type { Reviewer } from '../src/domain/policy';
import { currentRoundDecisions, eligibleReviewers, latestEscalationReviewers } from '../src/domain/standing';
import type { ApprovalState } from '../src/domain/state';
import { notify } from './activity-proxies';

/** Reviewers of this round who have not decided yet (and so still need the mail). */
export function undecidedReviewers(state: ApprovalState): Recipient[] {
  const decided = new Set(currentRoundDecisions(state).map((d) => d.reviewerId));
  return eligibleReviewers(state).filter((e) => !decided.has(e.reviewer.id));
}

function withRoles(state: ApprovalState, people: Reviewer[]): Recipient[] {
  return eligibleReviewers(state).filter((e) => people.some((p) => p.id === e.reviewer.id));
}

export interface Outbox {
  push(notice: Notice): void;
  readonly size: number;
  /** Sends every queued notice for the state as it is now. */
  flush(state: ApprovalState): Promise<void>;
  /** Escalation, delegation and newly opened sequential steps mail the people they bring in. */
  queueDecisionNotices(before: ApprovalState, after: ApprovalState, signed: SignedDecision): void;
  queueEscalation(state: ApprovalState, note: string): void;
}

export function createOutbox(): Outbox {
  const queue: Notice[] = [];
  const outbox: Outbox = {
    push: (notice) => void queue.push(notice),
    get size() {
      return queue.length;
    },
    async flush(state) {
      while (queue.length > 0) {
        const notice = queue.shift()!;
        if (notice.recipients.length === 0 || !state.evaluation) continue;
        await notify({
          ...notice,
          workflowId: state.workflowId,
          round: state.round,
          proposal: state.proposal,
          evaluation: state.evaluation,
          paramsHash: state.paramsHash,
          deadline: state.deadline,
          outcome: { status: state.status, reason: state.outcomeReason },
        });
      }
    },
    queueEscalation(state, note) {
      outbox.push({ purpose: NoticePurpose.escalated, recipients: withRoles(state, latestEscalationReviewers(state)), note });
    },
    queueDecisionNotices(before, after, signed) {
      const d = signed.payload;
      if (after.round !== before.round) return; // a new round mails its own reviewers
      if (d.kind === 'escalate' && after.escalationLevel > before.escalationLevel) {
        outbox.queueEscalation(after, `escalated by ${d.reviewer.id}`);
      }
      if (d.kind === 'delegate') {
        const delegate = after.delegates[after.delegates.length - 1];
        if (delegate)
          outbox.push({
            purpose: NoticePurpose.delegated,
            recipients: [{ reviewer: delegate.reviewer, role: delegate.role }],
            note: `delegated by ${d.reviewer.id}`,
          });
      }
      const known = new Set(eligibleReviewers(before).map((e) => `${e.reviewer.id}/${e.role}`));
      const opened = eligibleReviewers(after).filter((e) => !known.has(`${e.reviewer.id}/${e.role}`) && e.role !== d.reviewer.role);
      if (d.kind === 'approve' && opened.length > 0) {
        outbox.push({ purpose: NoticePurpose.reviewRequested, recipients: opened });
      }
    },
  };
  return outbox;
}
