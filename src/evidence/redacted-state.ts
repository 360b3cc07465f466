/** A run's state as an operator's tools may print it (`gatehouse show`). */
import type { ApprovalState } from '../domain/state';
import { redactPaths, scrubberFor, scrubStrings } from './redaction';

/**
 * The state as an operator may see it: the policy's redacted fields masked in the params (current
 * and original) and the evidence, and their values masked wherever a string repeats them, as the
 * decision page and the audit record do.
 */
export function redactedState(state: ApprovalState): ApprovalState {
  const paths = state.evaluation?.redact ?? [];
  const scrub = scrubberFor(state);
  // Only free text is scrubbed: ids, hashes and statuses are Gatehouse's own facts.
  const text = <T>(value: T): T => scrubStrings(value, scrub);
  const masked = redactPaths({ params: state.proposal.params, evidence: state.proposal.evidence }, paths);
  const { summary, agent, requestedBy } = state.proposal;
  return {
    ...state,
    proposal: {
      ...state.proposal,
      summary: text(summary),
      agent: text(agent),
      requestedBy: text(requestedBy),
      params: text(masked.params),
      evidence: text(masked.evidence),
    },
    ...(state.evaluation ? { evaluation: { ...state.evaluation, reason: text(state.evaluation.reason) } } : {}),
    decisions: state.decisions.map((d) => (d.comment ? { ...d, comment: text(d.comment) } : d)),
    transitions: state.transitions.map((t) => (t.note ? { ...t, note: text(t.note) } : t)),
    ...(state.outcomeReason ? { outcomeReason: text(state.outcomeReason) } : {}),
    ...(state.execution
      ? {
          execution: {
            ...text(state.execution),
            idempotencyKey: state.execution.idempotencyKey,
            executedHash: state.execution.executedHash,
          },
        }
      : {}),
    ...(state.preconditionDrift ? { preconditionDrift: text(state.preconditionDrift) } : {}),
    ...(state.originalParams ? { originalParams: text(redactPaths({ params: state.originalParams }, paths).params) } : {}),
  };
}
