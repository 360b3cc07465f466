/**
 * Every signal, update and query of the approval workflow, defined once. The SDK, the HTTP
 * service, the CLI and the tests import these; nobody spells the names as strings.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Revision, SignedDecision, Withdrawal } from '../src/domain/decision';
import type { FreshLinkRequest } from '../src/domain/fresh-link';
import type { ApprovalState } from '../src/domain/state';

export interface DecisionAccepted {
  status: ApprovalState['status'];
  round: number;
  /** Approvals still needed in this round, per role. */
  remaining: { role: string; needed: number }[];
}

/** Decisions with a synchronous answer; a refused one leaves no trace in history. */
export const decideUpdate = defineUpdate<DecisionAccepted, [SignedDecision]>('gatehouse.decide');
/** The same decision, fire-and-forget: checked identically, ignored (and logged) when invalid. */
export const decideSignal = defineSignal<[SignedDecision]>('gatehouse.decideSignal');
/** The agent pulls its proposal back; refused once the commit has started. */
export const withdrawUpdate = defineUpdate<ApprovalState['status'], [Withdrawal]>('gatehouse.withdraw');
export const getStateQuery = defineQuery<ApprovalState>('gatehouse.state');
/** The agent's new version after a request for changes; starts a new round. */
export const reviseUpdate = defineUpdate<ApprovalState['status'], [Revision]>('gatehouse.revise');
/**
 * A reviewer asks for a fresh link (from the page of an expired or superseded one). A signal: the
 * page promises nothing beyond "if you are still asked, a link is on its way to your address".
 */
export const requestFreshLinkSignal = defineSignal<[FreshLinkRequest]>('gatehouse.requestFreshLink');
/**
 * The run adopts the keys its worker trusts now (`gatehouse keys refresh`), in place of those it
 * recorded at its start: keys added since are trusted, keys removed since are not. No payload: the
 * sender chooses nothing, so anyone may send it.
 */
export const refreshTrustSignal = defineSignal('gatehouse.refreshTrust');
