/**
 * What every card of a run says once something happened: the same lines whichever channel the
 * decision came through, and whether the card's reviewer can still decide on it.
 */
import { currentRoundDecisions, standingOf } from '../domain/standing';
import type { ApprovalState, SlackCardRecord } from '../domain/state';
import { Status } from '../domain/status';
import { scrubberFor } from '../evidence/redaction';

/**
 * Who decided what, when, through which channel; then the run's status. The outcome reason quotes
 * people (a reviewer's comment, the agent's withdrawal reason, a target's error), so the policy's
 * redacted values are masked in it as the mail and the audit trail mask them.
 */
export function statusLines(state: ApprovalState): string[] {
  const decisions = currentRoundDecisions(state).map(
    (d) => `${d.kind.replace(/_/g, ' ')} by ${d.reviewerId} (${d.role}) through ${d.channel ?? 'link'} at ${d.decidedAt}`,
  );
  const reason = state.outcomeReason ? scrubberFor(state)(state.outcomeReason) : undefined;
  const status = `Status: ${state.status.replace(/_/g, ' ')}${reason ? ` (${reason})` : ''}`;
  return [...decisions, status];
}

/** A card keeps its buttons only while its reviewer may still decide in its round. */
export function cardIsOpen(state: ApprovalState, card: SlackCardRecord): boolean {
  if (state.status !== Status.awaitingApproval || card.round !== state.round) return false;
  return standingOf(state, { id: card.reviewerId, role: card.role, round: card.round }).ok;
}
