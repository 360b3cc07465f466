/**
 * Whom a reviewer may hand their decision to. The workflow accepts any reviewer eligible in the
 * round who has not decided; the page offers only those of the delegator's own role, since the
 * delegate stands in for that role and should be someone the policy already trusts with it.
 */
import type { Reviewer } from '../domain/policy';
import type { ApprovalState } from '../domain/state';
import type { LinkClaims } from '../links/token';
import { currentRoundDecisions, eligibleReviewers } from '../../workflows/approval-state';

export function delegateCandidates(state: ApprovalState, claims: Pick<LinkClaims, 'sub' | 'role'>): Reviewer[] {
  const { proposal } = state;
  const excluded = new Set([claims.sub, proposal.requestedBy.id, proposal.agent.id, ...currentRoundDecisions(state).map((d) => d.reviewerId)]);
  const seen = new Set<string>();
  return eligibleReviewers(state)
    .filter((e) => e.role === claims.role && !excluded.has(e.reviewer.id))
    .map((e) => e.reviewer)
    .filter((r) => !seen.has(r.id) && Boolean(seen.add(r.id)));
}
