/** Keeps the run's search attributes and Web UI details in step with its state. */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { SearchAttributes } from '../src/domain/search-attributes';
import type { ApprovalState } from '../src/domain/state';
import { eligibleReviewers, remainingSlots } from './approval-state';

/** Returns a publisher that upserts only when something operators filter on changed, to keep history short. */
export function createStatePublisher(): (state: ApprovalState) => void {
  let last = '';
  return (state) => {
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
  setCurrentDetails(describe(state));
  };
}

/** One short markdown paragraph the Web UI shows while the run is open. */
function describe(state: ApprovalState): string {
  const lines = [`**${state.status.replace(/_/g, ' ')}** · round ${state.round}`];
  if (state.status === 'awaiting_approval') {
    const waiting = remainingSlots(state).map((s) => `${s.role} (${s.needed} more)`);
    lines.push(`waiting for ${waiting.join(', ') || 'nobody'}; expires ${state.deadline ?? 'never'}`);
  }
  if (state.outcomeReason) lines.push(state.outcomeReason);
  return lines.join('\n\n');
}
