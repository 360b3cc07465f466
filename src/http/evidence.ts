/**
 * The evidence pack as the decision page and the JSON API show it: the one content model of
 * src/evidence/pack (the same the mail renders), built from the run's state with the page's caps,
 * plus what only the link holder's view has (who they are, what they may do, the params editor).
 */
import { DecisionKind } from '../domain/decision';
import type { ApprovalState } from '../domain/state';
import { currentRoundDecisions, delegateCandidates, eligibleReviewers, remainingSlots } from '../domain/standing';
import type { Status } from '../domain/status';
import { buildEvidencePack, EVIDENCE_CAPS, type EvidencePack } from '../evidence/pack';
import { oneLine } from '../evidence/text';
import type { LinkClaims } from '../links/token';
import { paramsEditor, type ParamsEditor } from './edited-params';
import type { Standing } from './standing';

export type { DriftedFact, EvidenceField, ParamChange } from '../evidence/pack';

/** Everything a reviewer needs to decide, cleaned and capped. */
export interface DecisionEvidence extends EvidencePack {
  workflowId: string;
  status: Status;
  approvalsRemaining: { role: string; needed: number }[];
  /** The link holder. */
  reviewer: { id: string; name?: string; role: string };
  standing: Standing;
  /**
   * Not HTML-cleaned, on purpose: these are the exact values an edit starts from, so they
   * round-trip; the page shows invisible characters as escapes. Present while the reviewer may approve.
   */
  editor?: ParamsEditor;
  /** People of the reviewer's role who may take the decision over (ids are what the API takes). */
  delegateCandidates?: { id: string; name: string }[];
}

export function buildEvidence(state: ApprovalState, claims: LinkClaims, standing: Standing): DecisionEvidence {
  const pack = buildEvidencePack(
    {
      ...state,
      decisions: currentRoundDecisions(state),
      editedBy: state.decisions.filter((d) => d.kind === DecisionKind.approveWithEdits),
    },
    EVIDENCE_CAPS.page,
  );
  const me = eligibleReviewers(state).find((e) => e.reviewer.id === claims.sub && e.role === claims.role);
  return {
    workflowId: state.workflowId,
    status: state.status,
    ...pack,
    approvalsRemaining: remainingSlots(state),
    reviewer: { id: claims.sub, role: claims.role, ...(me ? { name: oneLine(me.reviewer.name, EVIDENCE_CAPS.page.line) } : {}) },
    standing,
    ...(standing.open && standing.approve ? { editor: paramsEditor(state) } : {}),
    ...(standing.open
      ? {
          delegateCandidates: delegateCandidates(state, { id: claims.sub, role: claims.role }).map((r) => ({
            id: r.id,
            name: oneLine(r.name, EVIDENCE_CAPS.page.line),
          })),
        }
      : {}),
  };
}
