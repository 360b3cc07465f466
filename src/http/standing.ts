/**
 * What the holder of a link may do on the run right now, for the page: the shared standing rule
 * (src/domain/standing.ts, which the workflow's decision check calls too) turned into buttons and
 * refusals. The workflow remains the authority and re-checks every decision.
 */
import type { DecisionRefusal } from '../domain/errors';
import { IDENTITY_REFUSALS, standingOf as domainStanding, type Standing as DomainStanding } from '../domain/standing';
import type { ApprovalState } from '../domain/state';
import type { LinkClaims } from '../links/token';
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
 * (self-approval, not eligible) or the link's round has passed: such a link gets an error page,
 * not the evidence.
 */
export function standingOf(state: ApprovalState, claims: LinkClaims): Standing {
  const standing = domainStanding(state, { id: claims.sub, role: claims.role, round: claims.round });
  if (!standing.ok) {
    if (IDENTITY_REFUSALS.has(standing.code)) throw new LinkNotUsableError(standing.code, standing.message);
    return { open: false, code: standing.code, reason: pageReason(state, standing) };
  }
  const { may } = standing;
  return {
    open: true,
    approve: may.approve,
    approveWithEdits: may.approve_with_edits && paramsEditor(state).offered,
    reject: may.reject,
    requestChanges: may.request_changes,
    escalate: may.escalate,
    delegate: may.delegate,
  };
}

/** The page speaks to the reviewer in the second person. */
function pageReason(state: ApprovalState, refusal: Extract<DomainStanding, { ok: false }>): string {
  switch (refusal.code) {
    case 'not_awaiting':
      return `This proposal is ${state.status.replace(/_/g, ' ')}; no decision can change it now.`;
    case 'already_decided':
      return `You already decided on this round${refusal.decided ? ` (${refusal.decided.replace(/_/g, ' ')})` : ''}.`;
    default:
      return refusal.message;
  }
}
