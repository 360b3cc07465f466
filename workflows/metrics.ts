/**
 * Gatehouse's own metrics, emitted through the SDK's workflow metric meter (exported by the
 * worker's Prometheus endpoint next to the SDK's runtime metrics; skipped during replay). Emitted
 * once, when the run ends, from its final state.
 */
import { metricMeter } from '@temporalio/workflow';
import { RunEventType } from '../src/domain/run-event';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';

const decisions = metricMeter.createCounter('gatehouse_decisions', 'decisions', 'Reviewer decisions by action type and kind');
const timeToDecision = metricMeter.createHistogram('gatehouse_time_to_decision', 'int', 'ms', 'From the round opening to the decision');
const outcomes = metricMeter.createCounter('gatehouse_outcomes', 'runs', 'Finished runs by action type and final status');
const autoApproved = metricMeter.createCounter('gatehouse_auto_approved', 'runs', 'Runs that needed no human');
const sampledOut = metricMeter.createCounter('gatehouse_sampled_out', 'runs', 'Sampled-mode runs not picked for review');
const escalations = metricMeter.createCounter('gatehouse_escalations', 'escalations', 'Escalations along the chain');
const expiries = metricMeter.createCounter('gatehouse_expiries', 'runs', 'Rounds that expired without a decision');
const commitFailures = metricMeter.createCounter('gatehouse_commit_failures', 'runs', 'Commits that failed for good');
const cancellations = metricMeter.createCounter(
  'gatehouse_cancellations',
  'runs',
  'Runs an operator cancelled, by the status the cancel found',
);
const notifyFailures = metricMeter.createCounter(
  'gatehouse_notify_failures',
  'mails',
  'Notification mails the mail server refused for good',
);
const verificationFailures = metricMeter.createCounter('gatehouse_verification_failures', 'runs', 'Effects that failed verification');

/** Events that start a review round (reminders and escalations stay in one). */
const ROUND_OPENINGS: ReadonlySet<RunEventType> = new Set([
  RunEventType.roundOpened,
  RunEventType.approvedWithEdits,
  RunEventType.revised,
  RunEventType.drifted,
]);

export function recordRunMetrics(state: ApprovalState): void {
  const action_type = state.proposal.actionType;
  const roundOpened = (round: number) => {
    const opens = state.transitions.filter((t) => t.to === Status.awaitingApproval && t.event !== undefined && ROUND_OPENINGS.has(t.event));
    return opens[Math.min(round, opens.length) - 1]?.at;
  };
  for (const d of state.decisions) {
    decisions.add(1, { action_type, decision: d.kind });
    const opened = roundOpened(d.round);
    if (opened) timeToDecision.record(Math.max(0, Date.parse(d.recordedAt) - Date.parse(opened)), { action_type, decision: d.kind });
  }
  outcomes.add(1, { action_type, status: state.status });
  if (state.transitions.some((t) => t.event === RunEventType.autoApproved)) autoApproved.add(1, { action_type });
  if (state.evaluation?.sampling && !state.evaluation.sampling.picked) sampledOut.add(1, { action_type });
  const escalated = state.transitions.filter((t) => t.event === RunEventType.escalated).length;
  if (escalated > 0) escalations.add(escalated, { action_type });
  if (state.transitions.some((t) => t.event === RunEventType.expired)) expiries.add(1, { action_type });
  if (state.transitions.some((t) => t.event === RunEventType.commitFailed)) commitFailures.add(1, { action_type });
  const cancelled = state.transitions.find((t) => t.event === RunEventType.cancelled);
  if (cancelled) cancellations.add(1, { action_type, during: cancelled.from });
  if (state.execution?.verification && !state.execution.verification.ok) verificationFailures.add(1, { action_type });
}

/** Counted when it happens, not at the end: a run may wait for weeks with a reviewer unreachable. */
export function countNotifyFailures(state: ApprovalState, purpose: string, count: number): void {
  notifyFailures.add(count, { action_type: state.proposal.actionType, purpose });
}
