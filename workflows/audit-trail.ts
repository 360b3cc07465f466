/**
 * The audit trail written as the run goes: most changes are followed by an activity that carries
 * the run's entries (the round's notice, the finish's append). A decision that leaves the round
 * waiting (the first of two approvals, a delegation) is followed by none, so it gets an append of
 * its own, in the background. Runs started before 'audit-as-it-happens' replay without it.
 */
import { patched } from '@temporalio/workflow';
import type { UnstampedRunEvent } from '../src/domain/run-event';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';
import type { Run } from './run-context';

export function appendIfWaiting(run: Run, event: UnstampedRunEvent, state: ApprovalState): void {
  if (event.type !== 'decision_recorded' || state.status !== Status.awaitingApproval || !run.background) return;
  if (!patched('audit-as-it-happens')) return;
  // Idempotent by entry id, and the finish appends everything again: a failure here loses nothing.
  void run.steps.recordAudit({ state }).catch(() => undefined);
}
