/**
 * The approval state machine as one pure reducer: `apply(state, event)`. No Temporal, no clock
 * (events carry their workflow time), so unit tests cover every rule without a server and replay
 * stays deterministic. The workflow changes its state through this function only; a transition
 * the table below does not have is refused, whatever asked for it.
 */
import { paramsHash } from '../src/domain/canonical-hash';
import type { DecisionPayload, SignedDecision } from '../src/domain/decision';
import type { PolicyEvaluation } from '../src/domain/evaluation';
import { IllegalTransitionError, RunEventType, type Drift, type RunEvent, type SignedBy } from '../src/domain/run-event';
import { currentRoundDecisions, eligibleReviewers, remainingSlots, slotFor } from '../src/domain/standing';
import type { ApprovalState, DecisionRecord } from '../src/domain/state';
import { STATE_VERSION } from '../src/domain/state-version';
import { Status } from '../src/domain/status';

export function initialState(workflowId: string, proposal: ApprovalState['proposal']): ApprovalState {
  return {
    stateVersion: STATE_VERSION,
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

/** Where each status may go next. Staying in a status (a note, a new round) is not a transition. */
export const ALLOWED_TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  proposed: [Status.evaluating, Status.withdrawn],
  evaluating: [Status.denied, Status.autoApproved, Status.awaitingApproval, Status.withdrawn, Status.needsAttention],
  awaiting_approval: [Status.approved, Status.rejected, Status.changesRequested, Status.expired, Status.withdrawn],
  changes_requested: [Status.awaitingApproval, Status.expired, Status.withdrawn],
  // An approved run goes back to review when the target moved, or fails when it keeps moving;
  // an operator's cancel still withdraws it before the commit starts.
  approved: [Status.committing, Status.awaitingApproval, Status.failed, Status.withdrawn],
  auto_approved: [Status.committing, Status.awaitingApproval, Status.failed, Status.withdrawn],
  committing: [Status.verifying, Status.failed, Status.needsAttention],
  verifying: [Status.succeeded, Status.rolledBack, Status.needsAttention],
  denied: [],
  rejected: [],
  expired: [],
  withdrawn: [],
  succeeded: [],
  failed: [],
  rolled_back: [],
  needs_attention: [],
};

/** The one way a run's state changes. */
export function apply(state: ApprovalState, event: RunEvent): ApprovalState {
  switch (event.type) {
    case 'evaluation_started':
      return move(state, Status.evaluating, event);
    case 'evaluated':
      return { ...state, evaluation: event.evaluation };
    case 'denied':
    case 'auto_approved':
      return move(state, event.type === 'denied' ? Status.denied : Status.autoApproved, event, event.reason);
    case 'round_opened': {
      // The first round opens with the policy's reason for asking; later rounds were noted when they began.
      const opening = state.status === Status.evaluating ? state.evaluation?.reason : undefined;
      return { ...move(state, Status.awaitingApproval, event, opening), deadline: event.deadline };
    }
    case 'decision_recorded':
      return applyDecision(state, event);
    case 'approved_with_edits':
      return applyEdit(state, event);
    case 'revised': {
      const { revision } = event;
      const revised: ApprovalState = revision.summary ? { ...state, proposal: { ...state.proposal, summary: revision.summary } } : state;
      const next = startNewRound(
        revised,
        revision.params,
        event.evaluation,
        event,
        `revised by ${revision.by}${signedNote(event.signedBy)}; round ${state.round + 1}`,
      );
      return settleIfComplete(next, event);
    }
    case 'escalated':
      return escalate(state, event, `escalated: ${event.reason}`);
    case 'reminded':
      return move(state, state.status, event, 'reminder sent to the reviewers who have not decided');
    case 'expired':
      return expire(state, event);
    case 'withdrawn':
      return move(
        state,
        Status.withdrawn,
        event,
        `withdrawn by ${event.by}${signedNote(event.signedBy)}${event.reason ? `: ${event.reason}` : ''}`,
      );
    case 'drifted':
      return reopenForDrift(state, event);
    case 'preconditions_failed':
      return move(state, Status.failed, event, `preconditions kept changing (${event.fields.join(', ')}); nothing executed`);
    case 'commit_started':
      return {
        ...move(state, Status.committing, event),
        execution: { idempotencyKey: event.idempotencyKey, executedHash: event.executedHash },
      };
    case 'commit_refused':
      return move(state, Status.needsAttention, event, `commit refused: ${event.reason}`);
    case 'commit_recorded':
      return withExecution(move(state, Status.verifying, event), { commit: event.result });
    case 'commit_failed':
      return withExecution(move(state, Status.failed, event, `commit failed: ${event.message}`), { error: event.message });
    case 'verified': {
      const next = withExecution(state, { verification: event.verification });
      return event.verification.ok ? move(next, Status.succeeded, event, 'committed and verified') : next;
    }
    case 'verification_unavailable':
      return withExecution(move(state, Status.needsAttention, event, `verification could not run: ${event.message}`), {
        error: event.message,
      });
    case 'rolled_back':
      return withExecution(move(state, Status.rolledBack, event, 'verification failed; rolled back'), { rollback: event.rollback });
    case 'rollback_failed':
      return move(state, Status.needsAttention, event, event.reason);
    case 'earlier_attempt_in_doubt':
      return move(
        state,
        Status.needsAttention,
        event,
        `${event.why}, but an earlier attempt of the run's first step may have executed the action as auto-approved (idempotency key ${event.idempotencyKey}); nothing more runs until a person checks the target`,
      );
    case 'notice_undeliverable':
      return recordUndeliverable(state, event);
    // No status changes and no transition: where a card is, is not part of the run's story.
    case 'slack_cards_posted':
      return { ...state, slackCards: [...(state.slackCards ?? []), ...event.cards] };
    case 'cancelled':
      return cancel(state, event);
    case 'fresh_link_sent': {
      const note = `fresh link mailed to ${event.reviewerId} (${event.role}) at their request`;
      const noted = {
        ...state,
        transitions: [...state.transitions, { at: event.at, from: state.status, to: state.status, event: event.type, note }],
      };
      return {
        ...noted,
        freshLinks: [...(state.freshLinks ?? []), { at: event.at, reviewerId: event.reviewerId, role: event.role, round: state.round }],
      };
    }
    // Noted on the run, status unchanged: the outcome was decided before the delivery.
    case 'webhook_undeliverable':
      return {
        ...state,
        transitions: [
          ...state.transitions,
          { at: event.at, from: state.status, to: state.status, event: event.type, note: `outcome webhook not delivered: ${event.reason}` },
        ],
      };
    default: {
      const unreachable: never = event;
      throw new TypeError(`unknown run event ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Statuses an operator's cancel ends the run from: nothing has been executed yet. */
const CANCELLABLE: ReadonlySet<Status> = new Set([
  Status.proposed,
  Status.evaluating,
  Status.awaitingApproval,
  Status.changesRequested,
  Status.approved,
  Status.autoApproved,
]);

/**
 * An operator's cancel withdraws a run that has executed nothing. Once the commit started it is
 * noted only: the effect may exist, so the commit finishes and is verified (or rolled back).
 */
function cancel(state: ApprovalState, event: Extract<RunEvent, { type: 'cancelled' }>): ApprovalState {
  if (CANCELLABLE.has(state.status)) return move(state, Status.withdrawn, event, 'withdrawn by an operator: the run was cancelled');
  const note =
    state.status === Status.committing || state.status === Status.verifying
      ? `cancel requested while ${state.status}; the commit finishes and is verified`
      : `cancel requested after the run ended (${state.status})`;
  return { ...state, transitions: [...state.transitions, { at: event.at, from: state.status, to: state.status, event: event.type, note }] };
}

/** A refused mail changes no status; it is noted (for the audit trail) and kept per person. */
function recordUndeliverable(state: ApprovalState, event: Extract<RunEvent, { type: 'notice_undeliverable' }>): ApprovalState {
  const who = event.recipients.map((r) => r.reviewerId).join(', ');
  // Not through move(): a note on a final status would replace the run's outcome reason.
  const note = `${event.purpose.replace(/_/g, ' ')} mail undeliverable to ${who}`;
  const noted = {
    ...state,
    transitions: [...state.transitions, { at: event.at, from: state.status, to: state.status, event: event.type, note }],
  };
  const added = event.recipients.map((r) => ({
    at: event.at,
    round: event.round,
    purpose: event.purpose,
    reviewerId: r.reviewerId,
    reason: r.reason,
  }));
  return { ...noted, undeliverable: [...(state.undeliverable ?? []), ...added] };
}

/** Which credential signed a withdrawal or revision, for the transition's note (and so the audit trail). */
function signedNote(signedBy: SignedBy | undefined): string {
  return signedBy ? ` (signed with ${signedBy.signer} key ${signedBy.keyId})` : '';
}

/** Records a transition caused by `event`; refuses one the table does not allow. */
function move(state: ApprovalState, to: Status, event: Pick<RunEvent, 'type' | 'at'>, note?: string): ApprovalState {
  if (state.status === to && !note) return state;
  if (state.status !== to && !ALLOWED_TRANSITIONS[state.status].includes(to)) {
    throw new IllegalTransitionError(state.status, to, event.type);
  }
  return {
    ...state,
    status: to,
    transitions: [...state.transitions, { at: event.at, from: state.status, to, event: event.type, ...(note ? { note } : {}) }],
    ...(note && isOutcome(to) ? { outcomeReason: note } : {}),
  };
}

function isOutcome(status: Status): boolean {
  return status !== Status.evaluating && status !== Status.committing && status !== Status.verifying;
}

function withExecution(state: ApprovalState, part: Partial<NonNullable<ApprovalState['execution']>>): ApprovalState {
  return { ...state, execution: { ...state.execution!, ...part } };
}

function escalate(state: ApprovalState, event: Pick<RunEvent, 'type' | 'at'>, note: string): ApprovalState {
  const chain = state.evaluation?.escalation ?? [];
  if (state.escalationLevel >= chain.length) return state;
  const next = move(state, state.status, { type: RunEventType.escalated, at: event.at }, note);
  return { ...next, escalationLevel: state.escalationLevel + 1 };
}

/** A decision as recorded; an approval keeps its signature for the commit's own check. */
function recordOf(
  d: DecisionPayload,
  now: string,
  filledRole: string | undefined,
  signature?: SignedDecision['signature'],
): DecisionRecord {
  const approving = d.kind === 'approve' || d.kind === 'approve_with_edits';
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
    ...(d.channel ? { channel: d.channel } : {}),
    ...(approving && signature ? { signed: { payload: d, signature } } : {}),
  };
}

function settleIfComplete(state: ApprovalState, event: Pick<RunEvent, 'type' | 'at'>): ApprovalState {
  return remainingSlots(state).length === 0 ? move(state, Status.approved, event, `approved by ${approverList(state)}`) : state;
}

function approverList(state: ApprovalState): string {
  return currentRoundDecisions(state)
    .filter((d) => d.filledRole !== undefined)
    .map((d) => `${d.reviewerId} (${d.role})`)
    .join(', ');
}

/**
 * Records a checked decision and moves the state on when the round is settled. An approval with
 * edits comes as its own event (approved_with_edits), once the edited version was evaluated.
 */
function applyDecision(state: ApprovalState, event: Extract<RunEvent, { type: 'decision_recorded' }>): ApprovalState {
  const d = event.decision;
  const filledRole = d.kind === 'approve' ? slotFor(state, d.reviewer.role) : undefined;
  const next: ApprovalState = { ...state, decisions: [...state.decisions, recordOf(d, event.at, filledRole, event.signature)] };
  switch (d.kind) {
    case 'approve':
      return settleIfComplete(next, event);
    case 'reject': {
      const rejections = currentRoundDecisions(next).filter((r) => r.kind === 'reject').length;
      const limit = state.evaluation?.rejectionsToEnd ?? 1;
      return rejections >= limit ? move(next, Status.rejected, event, `rejected by ${d.reviewer.id}: ${d.comment ?? ''}`.trim()) : next;
    }
    case 'request_changes':
      return move(next, Status.changesRequested, event, `changes requested by ${d.reviewer.id}: ${d.comment ?? ''}`.trim());
    case 'escalate':
      return escalate(next, event, `escalated by ${d.reviewer.id}`);
    case 'delegate': {
      const target = eligibleReviewers(state).find((e) => e.reviewer.id === d.delegateTo);
      if (!target) return next;
      return { ...next, delegates: [...next.delegates, { reviewer: target.reviewer, role: d.reviewer.role, by: d.reviewer.id }] };
    }
    case 'approve_with_edits':
      return next;
    default: {
      const unreachable: never = d.kind;
      throw new TypeError(`unknown decision ${String(unreachable)}`);
    }
  }
}

/**
 * A new version of the params gets a new round: approvals of the old version do not carry over,
 * and links of the old round stop working (their round has passed).
 */
function startNewRound(
  state: ApprovalState,
  params: Record<string, unknown>,
  evaluation: PolicyEvaluation,
  event: Pick<RunEvent, 'type' | 'at'>,
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
  return move(next, Status.awaitingApproval, event, note);
}

/**
 * Approve with edits, after the edited params were re-validated and the policy re-evaluated on
 * them: a new round for the edited version, in which the editor's approval fills their slot; if
 * the new version needs more approvals than that (the risk rose), the others are asked again.
 */
function applyEdit(state: ApprovalState, event: Extract<RunEvent, { type: 'approved_with_edits' }>): ApprovalState {
  const { decision: d, at: now } = event;
  const recorded: ApprovalState = { ...state, decisions: [...state.decisions, recordOf(d, now, undefined, event.signature)] };
  let next = startNewRound(recorded, d.editedParams ?? {}, event.evaluation, event, `edited by ${d.reviewer.id}; round ${state.round + 1}`);
  const stillEligible = eligibleReviewers(next).some((e) => e.reviewer.id === d.reviewer.id && e.role === d.reviewer.role);
  const slot = stillEligible ? slotFor(next, d.reviewer.role) : undefined;
  if (slot) {
    const carried = recordOf({ ...d, kind: 'approve', round: next.round, nonce: `${d.nonce}:edited` }, now, slot);
    next = { ...next, decisions: [...next.decisions, carried] };
  }
  return settleIfComplete(next, event);
}

/** Decisions of the round that stand against the version under review. */
export function objections(state: ApprovalState): DecisionRecord[] {
  return currentRoundDecisions(state).filter((d) => d.kind === 'reject' || d.kind === 'request_changes');
}

/**
 * The round's deadline passed. A policy's `approve` on expiry stands for silence only: it never
 * overrides a reviewer who rejected or asked for changes, nor approves a version still waiting
 * for the agent's revision.
 */
function expire(state: ApprovalState, event: Pick<RunEvent, 'type' | 'at'>): ApprovalState {
  const objected = objections(state);
  if (state.evaluation?.onExpiry === 'approve' && state.status === Status.awaitingApproval && objected.length === 0) {
    // Written out in the policy by its risk owner; recorded so the audit shows nobody approved.
    return move(state, Status.approved, event, 'expired without decision; policy default outcome: approve');
  }
  if (state.evaluation?.onExpiry === 'approve') {
    const who = objected.map((d) => `${d.kind.replace(/_/g, ' ')} by ${d.reviewerId}`).join(', ') || 'changes requested and no revision';
    return move(state, Status.expired, event, `expired; the policy's approve on expiry does not override an objection (${who})`);
  }
  return move(state, Status.expired, event, 'expired without decision; policy default outcome: deny');
}

/**
 * The target changed after the approval (the record version or balance the agent saw): a new
 * round on the world as it is now, with the difference shown to the reviewers.
 */
function reopenForDrift(state: ApprovalState, event: Extract<RunEvent, { type: 'drifted' }>): ApprovalState {
  const { drift } = event;
  const observed = Object.fromEntries(drift.map((d) => [d.field, d.actual]));
  const preconditions = { ...state.proposal.evidence.preconditions, ...observed };
  const next: ApprovalState = {
    ...state,
    proposal: { ...state.proposal, evidence: { ...state.proposal.evidence, preconditions } },
    preconditionDrift: drift,
  };
  const reopened = startNewRound(
    next,
    state.proposal.params,
    state.evaluation!,
    event,
    `preconditions changed since approval (${formatDrift(drift)}); re-approval needed`,
  );
  return settleIfComplete(reopened, event);
}

function formatDrift(drift: Drift[]): string {
  return drift.map((d) => `${d.field} ${JSON.stringify(d.expected)} → ${JSON.stringify(d.actual)}`).join(', ');
}

/** The note a re-approval round's mail carries, so reviewers see what changed. */
export function describeDrift(state: ApprovalState): string | undefined {
  return state.preconditionDrift?.length ? `Changed since the last approval: ${formatDrift(state.preconditionDrift)}` : undefined;
}
