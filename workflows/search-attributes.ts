/** Keeps the run's search attributes and Web UI details in step with its state. */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { SearchAttributes } from '../src/domain/search-attributes';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';
import { eligibleReviewers, remainingSlots } from '../src/domain/standing';

/**
 * States a run passes through within one workflow task or one short step (evaluating right after
 * the start, approved right before committing, verifying right after the commit): an operator
 * never finds a run resting there, so upserting them would only lengthen the history.
 */
const TRANSIENT_STATUSES: ReadonlySet<string> = new Set([Status.evaluating, Status.autoApproved, Status.approved, Status.verifying]);

export interface PublisherOptions {
  /**
   * Leave the transient statuses out of the search attributes, and `committing` too unless the
   * caller says the run rests there (a commit that is taking its time): runs recorded before this
   * replay with every status.
   */
  skipTransientStatuses: boolean;
}

/** Publishes a state; `resting` says the run stays in this status for a while. */
export type StatePublisher = (state: ApprovalState, resting?: boolean) => void;

/** Returns a publisher that upserts only when something operators filter on changed, to keep history short. */
export function createStatePublisher(options: PublisherOptions): StatePublisher {
  let last = '';
  return (state, resting = false) => {
    setCurrentDetails(describe(state));
    if (options.skipTransientStatuses && (TRANSIENT_STATUSES.has(state.status) || (state.status === Status.committing && !resting))) return;
    const reviewers = [...new Set(eligibleReviewers(state).map((e) => e.reviewer.id))].sort();
    const pairs: SearchAttributeUpdatePair[] = [
      { key: SearchAttributes.status, value: state.status },
      { key: SearchAttributes.reviewers, value: reviewers },
    ];
    if (state.evaluation) pairs.push({ key: SearchAttributes.risk, value: state.evaluation.risk });
    if (state.deadline) pairs.push({ key: SearchAttributes.deadline, value: new Date(state.deadline) });
    const fingerprint = JSON.stringify(pairs.map((p) => p.value));
    if (fingerprint !== last) {
      last = fingerprint;
      upsertSearchAttributes(pairs);
    }
  };
}

/** One short markdown paragraph the Web UI shows while the run is open. */
function describe(state: ApprovalState): string {
  const lines = [`**${state.status.replace(/_/g, ' ')}** · round ${state.round}`];
  if (state.status === 'awaiting_approval') {
    const waiting = remainingSlots(state).map((s) => `${s.role} (${s.needed} more)`);
    lines.push(`waiting for ${waiting.join(', ') || 'nobody'}; expires ${state.deadline ?? 'never'}`);
  }
  // The reason may quote a reviewer's comment or the agent's text: the Web UI shows the event only.
  const last = state.transitions.at(-1);
  if (last?.event) lines.push(`last event: ${last.event.replace(/_/g, ' ')}`);
  return lines.join('\n\n');
}
