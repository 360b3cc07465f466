/**
 * Reviewer standing: what one person may do on a run right now. Written once and called by the
 * workflow's decision check, the decision page, the JSON API, delegation and the client, so that
 * what a reviewer is shown and what the workflow accepts can never drift apart.
 */
import type { DecisionKind, ReviewerRef } from './decision';
import { DecisionRefusal } from './errors';
import type { PolicyEvaluation } from './evaluation';
import type { Reviewer } from './policy';
import type { ApprovalState, DecisionRecord } from './state';
import { Status } from './status';

export function currentRoundDecisions(state: ApprovalState): DecisionRecord[] {
  return state.decisions.filter((d) => d.round === state.round);
}

/** Approvals still needed in this round, per step role. */
export function remainingSlots(state: ApprovalState): { role: string; needed: number }[] {
  const approvals = currentRoundDecisions(state).filter((d) => d.filledRole !== undefined);
  return (state.evaluation?.steps ?? [])
    .map((step) => ({
      role: step.role,
      needed: step.count - approvals.filter((a) => a.filledRole === step.role).length,
    }))
    .filter((s) => s.needed > 0);
}

/** Steps that can take approvals now: all of them, or in sequential order up to the first incomplete one. */
export function openSteps(state: ApprovalState): PolicyEvaluation['steps'] {
  const steps = state.evaluation?.steps ?? [];
  if (state.evaluation?.order !== 'sequential') return steps;
  const remaining = new Set(remainingSlots(state).map((s) => s.role));
  const firstOpen = steps.findIndex((s) => remaining.has(s.role));
  return firstOpen === -1 ? steps : steps.slice(0, firstOpen + 1);
}

/** Everyone who may decide in this round, with the role they decide in. */
export function eligibleReviewers(state: ApprovalState): { reviewer: Reviewer; role: string }[] {
  const evaluation = state.evaluation;
  if (!evaluation) return [];
  const fromSteps = openSteps(state).flatMap((s) => s.eligible.map((reviewer) => ({ reviewer, role: s.role })));
  const fromEscalation = evaluation.escalation
    .slice(0, state.escalationLevel)
    .flatMap((e) => e.eligible.map((reviewer) => ({ reviewer, role: e.role })));
  const fromDelegation = state.delegates.map((d) => ({ reviewer: d.reviewer, role: d.role }));
  return [...fromSteps, ...fromEscalation, ...fromDelegation];
}

/** The people brought in by the latest escalation step. */
export function latestEscalationReviewers(state: ApprovalState): Reviewer[] {
  const level = state.evaluation?.escalation[state.escalationLevel - 1];
  return level ? level.eligible : [];
}

function isEscalationRole(state: ApprovalState, role: string): boolean {
  return (state.evaluation?.escalation ?? []).slice(0, state.escalationLevel).some((e) => e.role === role);
}

/** Which step an approval in `role` fills: its own step, or for an escalation role the first open one. */
export function slotFor(state: ApprovalState, role: string): string | undefined {
  const openRoles = new Set(openSteps(state).map((s) => s.role));
  const open = remainingSlots(state).filter((s) => openRoles.has(s.role));
  if (open.some((s) => s.role === role)) return role;
  return isEscalationRole(state, role) ? open[0]?.role : undefined;
}

/** The proposer and the agent never decide on their own action. */
export function isSelf(state: ApprovalState, personId: string): boolean {
  const { proposal } = state;
  return personId === proposal.requestedBy.id || personId === proposal.agent.id;
}

/**
 * Whom a reviewer may hand their decision to: someone eligible in the delegator's own role this
 * round (the delegate stands in for that role), who has not decided and is not the proposer or agent.
 */
export function delegateCandidates(state: ApprovalState, delegator: Pick<ReviewerRef, 'id' | 'role'>): Reviewer[] {
  const decided = new Set(currentRoundDecisions(state).map((d) => d.reviewerId));
  const seen = new Set<string>();
  return eligibleReviewers(state)
    .filter(
      (e) => e.role === delegator.role && e.reviewer.id !== delegator.id && !decided.has(e.reviewer.id) && !isSelf(state, e.reviewer.id),
    )
    .map((e) => e.reviewer)
    .filter((r) => !seen.has(r.id) && Boolean(seen.add(r.id)));
}

/** The latest request for changes, for the agent's SDK handle. */
export function latestFeedback(state: ApprovalState): DecisionRecord | undefined {
  return [...state.decisions].reverse().find((d) => d.kind === 'request_changes');
}

/** Which decisions the person may make now. */
export type Allowed = Readonly<Record<DecisionKind, boolean>>;

export type Standing =
  | { ok: true; round: number; /** The step an approval would fill. */ slot: string | undefined; may: Allowed; delegateTo: Reviewer[] }
  | { ok: false; code: DecisionRefusal; message: string; /** What the person already decided this round. */ decided?: DecisionKind };

/** Refusals that say this person has no business on this run (the page shows an error, not the evidence). */
export const IDENTITY_REFUSALS: ReadonlySet<DecisionRefusal> = new Set([
  DecisionRefusal.selfApproval,
  DecisionRefusal.staleRound,
  DecisionRefusal.notEligible,
]);

const refuse = (code: DecisionRefusal, message: string): Standing => ({ ok: false, code, message });

/**
 * What `person`, deciding in `role` for `round`, may do on the run now. Identity comes first (self,
 * round, eligibility), then the run's own state (outcome fixed, already decided).
 */
export function standingOf(state: ApprovalState, person: ReviewerRef & { round: number }): Standing {
  if (isSelf(state, person.id)) return refuse(DecisionRefusal.selfApproval, 'the proposer and the agent cannot decide on their own action');
  if (person.round !== state.round) {
    return refuse(DecisionRefusal.staleRound, `round ${person.round} has passed; the current round is ${state.round}`);
  }
  const eligible = eligibleReviewers(state).some((e) => e.reviewer.id === person.id && e.role === person.role);
  // Before the policy is evaluated nobody is eligible yet; that is "not awaiting", not a foreign person.
  if (!eligible && state.evaluation)
    return refuse(DecisionRefusal.notEligible, `${person.id} may not decide as ${person.role} on this run`);
  if (state.status !== Status.awaitingApproval) {
    return refuse(DecisionRefusal.notAwaiting, `no decision is possible: the run is ${state.status.replace(/_/g, ' ')}`);
  }
  const mine = currentRoundDecisions(state).find((d) => d.reviewerId === person.id);
  if (mine)
    return {
      ok: false,
      code: DecisionRefusal.alreadyDecided,
      message: `${person.id} has already decided in round ${state.round}`,
      decided: mine.kind,
    };
  const slot = slotFor(state, person.role);
  const delegateTo = delegateCandidates(state, person);
  return {
    ok: true,
    round: state.round,
    slot,
    delegateTo,
    may: {
      approve: slot !== undefined,
      approve_with_edits: slot !== undefined,
      reject: true,
      request_changes: true,
      escalate: state.escalationLevel < (state.evaluation?.escalation.length ?? 0),
      delegate: delegateTo.length > 0,
    },
  };
}
