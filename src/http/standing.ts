/**
 * What the holder of a link may do on the run right now, for the page. The workflow remains the
 * authority and re-checks every decision; this only decides which buttons to show and which links
 * to refuse outright, with the workflow's own refusal codes so page and POST say the same thing.
 */
import { DecisionRefusal } from '../domain/errors';
import type { ApprovalState } from '../domain/state';
import { Status } from '../domain/status';
import type { LinkClaims } from '../links/token';
import { currentRoundDecisions, eligibleReviewers, remainingSlots } from '../../workflows/approval-state';
import { delegateCandidates } from './delegation';
import { paramsEditor } from './edited-params';
import { LinkNotUsableError } from './errors';

/** What the reviewer may do on the page. */
export type Standing =
  | {
      open: true;
      approve: boolean;
      /** Approving an edited version fills the same slot as approving; the editor must be usable too. */
      approveWithEdits: boolean;
      reject: boolean;
      requestChanges: boolean;
      escalate: boolean;
      /** Someone of the same role is left to hand the decision to. */
      delegate: boolean;
    }
  /** The page shows the evidence and why no decision is possible, without a form. */
  | { open: false; code: DecisionRefusal; reason: string };

/**
 * @throws {@link LinkNotUsableError} when the link's holder may not decide on this run at all
 * (self-approval, not eligible) or the link's round has passed: such a link
 * gets an error page, not the evidence.
 */
export function standingOf(state: ApprovalState, claims: LinkClaims): Standing {
  const { proposal } = state;
  if (claims.sub === proposal.requestedBy.id || claims.sub === proposal.agent.id) {
    throw new LinkNotUsableError(DecisionRefusal.selfApproval, 'the proposer and the agent cannot decide on their own action');
  }
  if (claims.round !== state.round) throw new LinkNotUsableError(DecisionRefusal.staleRound, `the link is for round ${claims.round}; the current round is ${state.round}`);
  const eligible = eligibleReviewers(state).some((e) => e.reviewer.id === claims.sub && e.role === claims.role);
  // Before the policy is evaluated nobody is eligible yet; that is "not awaiting", not a foreign link.
  if (!eligible && state.evaluation) throw new LinkNotUsableError(DecisionRefusal.notEligible, `${claims.sub} may not decide as ${claims.role}`);

  if (state.status !== Status.awaitingApproval) {
    return { open: false, code: DecisionRefusal.notAwaiting, reason: `This proposal is ${state.status.replace(/_/g, ' ')}; no decision can change it now.` };
  }
  const mine = currentRoundDecisions(state).find((d) => d.reviewerId === claims.sub);
  if (mine) {
    return { open: false, code: DecisionRefusal.alreadyDecided, reason: `You already decided on this round (${mine.kind.replace(/_/g, ' ')}).` };
  }
  const open = remainingSlots(state);
  const escalationRoles = (state.evaluation?.escalation ?? []).slice(0, state.escalationLevel).map((e) => e.role);
  const approve = open.some((s) => s.role === claims.role) || (escalationRoles.includes(claims.role) && open.length > 0);
  return {
    open: true,
    approve,
    approveWithEdits: approve && paramsEditor(state).offered,
    reject: true,
    requestChanges: true,
    escalate: state.escalationLevel < (state.evaluation?.escalation.length ?? 0),
    delegate: delegateCandidates(state, claims).length > 0,
  };
}
