/**
 * The approval state machine as pure functions: no Temporal, no clock (callers pass `now`), so
 * unit tests cover every rule without a server and replay stays deterministic.
 */
import type { DecisionPayload, SignedDecision } from '../src/domain/decision';
import { checkDecisionSignature, type DecisionPublicKeys } from '../src/domain/decision-signature';
import { DecisionRefusal } from '../src/domain/errors';
import type { PolicyEvaluation } from '../src/domain/evaluation';
import type { Reviewer } from '../src/domain/policy';
import type { Proposal } from '../src/domain/proposal';
import type { ApprovalState, DecisionRecord } from '../src/domain/state';
import { Status } from '../src/domain/status';
import { paramsHash } from '../src/domain/canonical-hash';

export function initialState(workflowId: string, proposal: Proposal): ApprovalState {
  return {
    workflowId,
    proposal,
    status: Status.proposed,
    round: 1,
    paramsHash: paramsHash(proposal.params),
    escalationLevel: 0,
    delegates: [],
    decisions: [],
    transitions: [],
  };
}

export function transition(state: ApprovalState, to: Status, now: string, note?: string): ApprovalState {
  if (state.status === to && !note) return state;
  return {
    ...state,
    status: to,
    transitions: [...state.transitions, { at: now, from: state.status, to, ...(note ? { note } : {}) }],
    ...(note && isOutcome(to) ? { outcomeReason: note } : {}),
  };
}

function isOutcome(status: Status): boolean {
  return status !== Status.evaluating && status !== Status.committing && status !== Status.verifying;
}

export function withEvaluation(state: ApprovalState, evaluation: PolicyEvaluation): ApprovalState {
  return { ...state, evaluation };
}

export function escalate(state: ApprovalState, now: string, note: string): ApprovalState {
  const chain = state.evaluation?.escalation ?? [];
  if (state.escalationLevel >= chain.length) return state;
  return {
    ...state,
    escalationLevel: state.escalationLevel + 1,
    transitions: [...state.transitions, { at: now, from: state.status, to: state.status, note }],
  };
}

/** The people brought in by the latest escalation step, for the mail. */
export function latestEscalationReviewers(state: ApprovalState): Reviewer[] {
  const level = state.evaluation?.escalation[state.escalationLevel - 1];
  return level ? level.eligible : [];
}

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

function isEscalationRole(state: ApprovalState, role: string): boolean {
  return (state.evaluation?.escalation ?? []).slice(0, state.escalationLevel).some((e) => e.role === role);
}

/** Which step an approval in `role` fills: its own step, or for an escalation role the first open one. */
function slotFor(state: ApprovalState, role: string): string | undefined {
  const openRoles = new Set(openSteps(state).map((s) => s.role));
  const open = remainingSlots(state).filter((s) => openRoles.has(s.role));
  if (open.some((s) => s.role === role)) return role;
  return isEscalationRole(state, role) ? open[0]?.role : undefined;
}

export type DecisionCheck = { ok: true } | { ok: false; code: DecisionRefusal; message: string };

const refuse = (code: DecisionRefusal, message: string): DecisionCheck => ({ ok: false, code, message });

/**
 * The one gate every decision passes, whether it came as an update or as a signal: the update
 * validator and the signal handler both call this.
 */
export function checkDecision(state: ApprovalState, signed: SignedDecision, keys: DecisionPublicKeys): DecisionCheck {
  const signature = checkDecisionSignature(signed, keys);
  if (!signature.ok) return refuse(DecisionRefusal.badSignature, signature.reason);
  const d = signed.payload;
  if (d.workflowId !== state.workflowId) return refuse(DecisionRefusal.wrongWorkflow, 'decision is for another workflow');
  if (state.decisions.some((r) => r.nonce === d.nonce)) return refuse(DecisionRefusal.duplicate, 'decision already recorded');
  if (state.status !== Status.awaitingApproval) {
    return refuse(DecisionRefusal.notAwaiting, `no decision is possible: the run is ${state.status}`);
  }
  if (d.round !== state.round) return refuse(DecisionRefusal.staleRound, `round ${d.round} has passed; the current round is ${state.round}`);
  if (d.paramsHash !== state.paramsHash) return refuse(DecisionRefusal.paramsChanged, 'the decision was made on another version of the params');
  const { proposal } = state;
  if (d.reviewer.id === proposal.requestedBy.id || d.reviewer.id === proposal.agent.id) {
    return refuse(DecisionRefusal.selfApproval, 'the proposer and the agent cannot decide on their own action');
  }
  const eligible = eligibleReviewers(state).some((e) => e.reviewer.id === d.reviewer.id && e.role === d.reviewer.role);
  if (!eligible) return refuse(DecisionRefusal.notEligible, `${d.reviewer.id} may not decide as ${d.reviewer.role} on this run`);
  if (currentRoundDecisions(state).some((r) => r.reviewerId === d.reviewer.id)) {
    return refuse(DecisionRefusal.alreadyDecided, `${d.reviewer.id} has already decided in round ${state.round}`);
  }
  switch (d.kind) {
    case 'approve':
    case 'approve_with_edits':
      return slotFor(state, d.reviewer.role)
        ? { ok: true }
        : refuse(DecisionRefusal.slotFilled, `the ${d.reviewer.role} approvals are already complete`);
    case 'reject':
    case 'request_changes':
      return { ok: true };
    case 'escalate':
      return state.escalationLevel < (state.evaluation?.escalation.length ?? 0)
        ? { ok: true }
        : refuse(DecisionRefusal.invalid, 'the escalation chain is exhausted');
    case 'delegate': {
      const target = eligibleReviewers(state).find((e) => e.reviewer.id === d.delegateTo);
      if (!target || d.delegateTo === d.reviewer.id) return refuse(DecisionRefusal.invalid, `cannot delegate to ${d.delegateTo}`);
      if (currentRoundDecisions(state).some((r) => r.reviewerId === d.delegateTo)) {
        return refuse(DecisionRefusal.invalid, `${d.delegateTo} has already decided in this round`);
      }
      return { ok: true };
    }
    default: {
      const unreachable: never = d.kind;
      return refuse(DecisionRefusal.invalid, `unknown decision ${String(unreachable)}`);
    }
  }
}

function recordOf(state: ApprovalState, d: DecisionPayload, now: string, filledRole: string | undefined): DecisionRecord {
  return {
    nonce: d.nonce,
    round: d.round,
    reviewerId: d.reviewer.id,
    role: d.reviewer.role,
    kind: d.kind,
    decidedAt: d.decidedAt,
    recordedAt: now,
    ...(d.comment !== undefined ? { comment: d.comment } : {}),
    ...(d.delegateTo !== undefined ? { delegateTo: d.delegateTo } : {}),
    ...(filledRole !== undefined ? { filledRole } : {}),
  };
}

function settleIfComplete(state: ApprovalState, now: string): ApprovalState {
  return remainingSlots(state).length === 0 ? transition(state, Status.approved, now, `approved by ${approverList(state)}`) : state;
}

/**
 * Records a checked decision and moves the state on when the round is settled. An approval with
 * edits is recorded here only as a decision; {@link applyEdit} starts the edited version's round.
 */
export function applyDecision(state: ApprovalState, d: DecisionPayload, now: string): ApprovalState {
  const filledRole = d.kind === 'approve' ? slotFor(state, d.reviewer.role) : undefined;
  let next: ApprovalState = { ...state, decisions: [...state.decisions, recordOf(state, d, now, filledRole)] };
  switch (d.kind) {
    case 'approve':
      return settleIfComplete(next, now);
    case 'reject': {
      const rejections = currentRoundDecisions(next).filter((r) => r.kind === 'reject').length;
      const limit = state.evaluation?.rejectionsToEnd ?? 1;
      return rejections >= limit
        ? transition(next, Status.rejected, now, `rejected by ${d.reviewer.id}: ${d.comment ?? ''}`.trim())
        : next;
    }
    case 'request_changes':
      return transition(next, Status.changesRequested, now, `changes requested by ${d.reviewer.id}: ${d.comment ?? ''}`.trim());
    case 'escalate':
      return escalate(next, now, `escalated by ${d.reviewer.id}`);
    case 'delegate': {
      const target = eligibleReviewers(state).find((e) => e.reviewer.id === d.delegateTo)!;
      next = { ...next, delegates: [...next.delegates, { reviewer: target.reviewer, role: d.reviewer.role, by: d.reviewer.id }] };
      return next;
    }
    case 'approve_with_edits':
      return next;
    default: {
      const unreachable: never = d.kind;
      throw new TypeError(`unknown decision ${String(unreachable)}`);
    }
  }
}

function approverList(state: ApprovalState): string {
  return currentRoundDecisions(state)
    .filter((d) => d.filledRole !== undefined)
    .map((d) => `${d.reviewerId} (${d.role})`)
    .join(', ');
}

export type WithdrawCheck = { ok: true } | { ok: false; message: string };

/** Withdrawal is possible until the commit starts: after that the side effect may exist. */
export function checkWithdraw(state: ApprovalState): WithdrawCheck {
  const open: ApprovalState['status'][] = [Status.proposed, Status.evaluating, Status.awaitingApproval, Status.changesRequested];
  return open.includes(state.status)
    ? { ok: true }
    : { ok: false, message: `cannot withdraw: the run is ${state.status}` };
}

/**
 * A new version of the params gets a new round: approvals of the old version do not carry over,
 * and links of the old round stop working (their round has passed).
 */
export function startNewRound(
  state: ApprovalState,
  params: Record<string, unknown>,
  evaluation: PolicyEvaluation,
  now: string,
  note: string,
): ApprovalState {
  const next: ApprovalState = {
    ...state,
    proposal: { ...state.proposal, params },
    ...(evaluation.paramsHash !== state.paramsHash ? { originalParams: state.originalParams ?? state.proposal.params } : {}),
    paramsHash: evaluation.paramsHash,
    evaluation,
    round: state.round + 1,
    escalationLevel: 0,
    delegates: [],
  };
  return transition(next, Status.awaitingApproval, now, note);
}

/**
 * Approve with edits, after the edited params were re-validated and the policy re-evaluated on
 * them: a new round for the edited version, in which the editor's approval fills their slot; if
 * the new version needs more approvals than that (the risk rose), the others are asked again.
 */
export function applyEdit(state: ApprovalState, d: DecisionPayload, evaluation: PolicyEvaluation, now: string): ApprovalState {
  const recorded: ApprovalState = { ...state, decisions: [...state.decisions, recordOf(state, d, now, undefined)] };
  let next = startNewRound(recorded, d.editedParams ?? {}, evaluation, now, `edited by ${d.reviewer.id}; round ${state.round + 1}`);
  const stillEligible = eligibleReviewers(next).some((e) => e.reviewer.id === d.reviewer.id && e.role === d.reviewer.role);
  const slot = stillEligible ? slotFor(next, d.reviewer.role) : undefined;
  if (slot) {
    const carried = recordOf(next, { ...d, kind: 'approve', round: next.round, nonce: `${d.nonce}:edited` }, now, slot);
    next = { ...next, decisions: [...next.decisions, carried] };
  }
  return settleIfComplete(next, now);
}

/** The agent's revision after a request for changes: a new round on the revised version. */
export function applyRevision(
  state: ApprovalState,
  revision: { by: string; params: Record<string, unknown>; summary?: string | undefined },
  evaluation: PolicyEvaluation,
  now: string,
): ApprovalState {
  const revised: ApprovalState = revision.summary ? { ...state, proposal: { ...state.proposal, summary: revision.summary } } : state;
  const next = startNewRound(revised, revision.params, evaluation, now, `revised by ${revision.by}; round ${state.round + 1}`);
  return settleIfComplete(next, now);
}

export type RevisionCheck = { ok: true } | { ok: false; message: string };

/** Only the agent or its principal may revise, and only after a reviewer asked for changes. */
export function checkRevision(state: ApprovalState, by: string): RevisionCheck {
  if (state.status !== Status.changesRequested) return { ok: false, message: `no changes were requested: the run is ${state.status}` };
  if (by !== state.proposal.agent.id && by !== state.proposal.requestedBy.id) {
    return { ok: false, message: `${by} may not revise this proposal` };
  }
  return { ok: true };
}

/** The latest request for changes in the current state, for the agent's SDK handle. */
export function latestFeedback(state: ApprovalState): DecisionRecord | undefined {
  return [...state.decisions].reverse().find((d) => d.kind === 'request_changes');
}

/**
 * The target changed after the approval (the record version or balance the agent saw): a new
 * round on the world as it is now, with the difference shown to the reviewers.
 */
export function reopenForDrift(
  state: ApprovalState,
  drift: { field: string; expected: unknown; actual: unknown }[],
  now: string,
): ApprovalState {
  const observed = Object.fromEntries(drift.map((d) => [d.field, d.actual]));
  const preconditions = { ...state.proposal.evidence.preconditions, ...observed };
  const next: ApprovalState = {
    ...state,
    proposal: { ...state.proposal, evidence: { ...state.proposal.evidence, preconditions } },
    preconditionDrift: drift,
  };
  const reopened = startNewRound(next, state.proposal.params, state.evaluation!, now, `preconditions changed since approval (${formatDrift(drift)}); re-approval needed`);
  return settleIfComplete(reopened, now);
}

function formatDrift(drift: { field: string; expected: unknown; actual: unknown }[]): string {
  return drift.map((d) => `${d.field} ${JSON.stringify(d.expected)} → ${JSON.stringify(d.actual)}`).join(', ');
}

/** The note a re-approval round's mail carries, so reviewers see what changed. */
export function describeDrift(state: ApprovalState): string | undefined {
  return state.preconditionDrift?.length ? `Changed since the last approval: ${formatDrift(state.preconditionDrift)}` : undefined;
}
