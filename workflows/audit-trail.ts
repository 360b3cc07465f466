/**
 * The audit trail written as the run goes: most changes are followed by an activity that carries
 * the run's entries (the round's notice, the finish's append). A decision that leaves the round
 * waiting (the first of two approvals, a delegation) is followed by none, so it gets an append of
 * its own, in the background. Runs whose recorded evaluation does not ask for it replay without it
 * (see EvaluatedProposal.auditAsItHappens): no version marker on every run.
 */
import type { UnstampedRunEvent } from '../src/domain/run-event';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';
import type { Run } from './run-context';

export function appendIfWaiting(run: Run, event: UnstampedRunEvent, state: ApprovalState): void {
  if (event.type !== 'decision_recorded' || state.status !== Status.awaitingApproval || !run.auditAsItHappens()) return;
  // Idempotent by entry id, and the finish appends everything again: a failure here loses nothing.
  void run.steps.recordAudit({ state }).catch(() => undefined);
}
