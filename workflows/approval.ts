/**
 * The approval workflow: one proposed action, from policy to an executed and verified effect (or
 * a reasoned refusal). Every state change goes through the pure reducer in approval-state.ts.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { SignedDecisionSchema, WithdrawalSchema, type SignedDecision } from '../src/domain/decision';
import type { DecisionPublicKeys } from '../src/domain/decision-signature';
import { DecisionRefusal, FailureType } from '../src/domain/errors';
import { idempotencyKeyFor } from '../src/domain/ids';
import type { Proposal } from '../src/domain/proposal';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';
import { commitAction, evaluatePolicy, notify, rollbackAction, verifyAction } from './activity-proxies';
import {
  applyDecision,
  checkDecision,
  checkWithdraw,
  currentRoundDecisions,
  eligibleReviewers,
  escalate,
  initialState,
  latestEscalationReviewers,
  remainingSlots,
  startReview,
  transition,
  withEvaluation,
} from './approval-state';
import { decideSignal, decideUpdate, getStateQuery, withdrawUpdate } from './messages';
import { NoticePurpose, type Notice } from './notices';
import { createStatePublisher } from './search-attributes';

export interface ApprovalInput {
  proposal: Proposal;
}

const nowIso = (): string => new Date().toISOString();

export async function approvalWorkflow(input: ApprovalInput): Promise<ApprovalState> {
  const { workflowId } = workflowInfo();
  let state = initialState(workflowId, input.proposal);
  const outbox: Notice[] = [];
  const publish = createStatePublisher();
  // Filled from the worker's configuration by the policy activity; until then nothing is accepted.
  let decisionKeys: DecisionPublicKeys = {};
  const update = (next: ApprovalState): void => {
    state = next;
    publish(state);
  };

  // Handlers first, before any await: updates without a handler at the end of the first
  // activation are rejected, and buffered signals must meet the same checks as updates.
  const parseDecision = (raw: unknown): SignedDecision => {
    const parsed = SignedDecisionSchema.safeParse(raw);
    if (!parsed.success) throw refusal(DecisionRefusal.invalid, `malformed decision: ${parsed.error.issues[0]?.message ?? ''}`);
    const check = checkDecision(state, parsed.data, decisionKeys);
    if (!check.ok) throw refusal(check.code, check.message);
    return parsed.data;
  };
  const apply = (signed: SignedDecision) => {
    const before = state;
    update(applyDecision(state, signed.payload, nowIso()));
    queueDecisionNotices(before, state, signed, outbox);
    return { status: state.status, round: state.round, remaining: remainingSlots(state) };
  };
  setHandler(decideUpdate, (signed) => apply(signed), { validator: (signed) => void parseDecision(signed) });
  setHandler(decideSignal, (raw) => {
    try {
      apply(parseDecision(raw));
    } catch (err) {
      // A signal cannot be refused to its sender; an invalid one is logged and never applied.
      log.warn('decision signal ignored', { reason: (err as Error).message, workflowId });
    }
  });
  setHandler(
    withdrawUpdate,
    (withdrawal) => {
      update(transition(state, Status.withdrawn, nowIso(), `withdrawn by ${withdrawal.by}${withdrawal.reason ? `: ${withdrawal.reason}` : ''}`));
      return state.status;
    },
    {
      validator: (withdrawal) => {
        if (!WithdrawalSchema.safeParse(withdrawal).success) {
          throw ApplicationFailure.create({ type: FailureType.withdrawRefused, message: 'malformed withdrawal', nonRetryable: true });
        }
        const check = checkWithdraw(state);
        if (!check.ok) throw ApplicationFailure.create({ type: FailureType.withdrawRefused, message: check.message, nonRetryable: true });
      },
    },
  );
  setHandler(getStateQuery, () => state);

  update(transition(state, Status.evaluating, nowIso()));
  const evaluated = await evaluatePolicy({ proposal: state.proposal, workflowId });
  const { evaluation } = evaluated;
  decisionKeys = evaluated.decisionKeys;
  if (state.status === Status.withdrawn) return finish();
  update(withEvaluation(state, evaluation));

  switch (evaluation.outcome) {
    case 'deny':
      update(transition(state, Status.denied, nowIso(), evaluation.reason));
      return finish();
    case 'auto_approve':
      update(transition(state, Status.autoApproved, nowIso(), evaluation.reason));
      break;
    case 'review':
      await awaitDecisions();
      if (state.status !== Status.approved) return finish();
      break;
    default: {
      const unreachable: never = evaluation.outcome;
      throw ApplicationFailure.nonRetryable(`unknown evaluation outcome ${String(unreachable)}`);
    }
  }
  await executeApproved();
  return finish();

  /** The SLA ladder: reminder, escalation along the chain, then expiry with the policy's default. */
  async function awaitDecisions(): Promise<void> {
    const { sla } = evaluation;
    const start = Date.now();
    const expireAt = start + sla.expireAfterMs;
    let remindAt = sla.remindAfterMs ? start + sla.remindAfterMs : Infinity;
    let escalateAt = sla.escalateAfterMs ? start + sla.escalateAfterMs : Infinity;
    update(startReview(state, nowIso(), new Date(expireAt).toISOString()));
    outbox.push({ purpose: NoticePurpose.reviewRequested, recipients: eligibleReviewers(state) });

    while (state.status === Status.awaitingApproval) {
      await sendNotices();
      const nextAt = Math.min(remindAt, escalateAt, expireAt);
      const woke = await condition(
        () => state.status !== Status.awaitingApproval || outbox.length > 0,
        Math.max(1, nextAt - Date.now()),
      );
      if (woke) continue;
      const now = Date.now();
      if (now >= expireAt) {
        expire();
        break;
      }
      if (now >= escalateAt) {
        const before = state.escalationLevel;
        update(escalate(state, nowIso(), 'escalated: SLA passed without a decision'));
        if (state.escalationLevel > before) {
          outbox.push({ purpose: NoticePurpose.escalated, recipients: roleOf(latestEscalationReviewers(state), state) });
        }
        const more = state.escalationLevel < evaluation.escalation.length;
        escalateAt = more && sla.escalateAfterMs ? now + sla.escalateAfterMs : Infinity;
      }
      if (now >= remindAt) {
        remindAt = Infinity;
        outbox.push({ purpose: NoticePurpose.reminder, recipients: undecidedReviewers(state) });
      }
    }
    await sendNotices();
  }

  function expire(): void {
    if (evaluation.onExpiry === 'approve') {
      // Written out in the policy by its risk owner; recorded so the audit shows nobody approved.
      update(transition(state, Status.approved, nowIso(), 'expired without decision; policy default outcome: approve'));
    } else {
      update(transition(state, Status.expired, nowIso(), 'expired without decision; policy default outcome: deny'));
    }
  }

  async function sendNotices(): Promise<void> {
    while (outbox.length > 0) {
      const notice = outbox.shift()!;
      if (notice.recipients.length === 0) continue;
      await notify({
        ...notice,
        workflowId,
        round: state.round,
        proposal: state.proposal,
        evaluation,
        paramsHash: state.paramsHash,
        deadline: state.deadline,
        outcome: { status: state.status, reason: state.outcomeReason },
      });
    }
  }

  async function executeApproved(): Promise<void> {
    const idempotencyKey = idempotencyKeyFor(workflowId, state.round);
    const request = {
      workflowId,
      actionType: state.proposal.actionType,
      params: state.proposal.params,
      approvedHash: state.paramsHash,
      idempotencyKey,
    };
    update({ ...transition(state, Status.committing, nowIso()), execution: { idempotencyKey, executedHash: state.paramsHash } });
    let commit: Awaited<ReturnType<typeof commitAction>>;
    try {
      commit = await commitAction(request);
    } catch (err) {
      const message = failureMessage(err);
      update({ ...transition(state, Status.failed, nowIso(), `commit failed: ${message}`), execution: { ...state.execution!, error: message } });
      return;
    }
    update({ ...transition(state, Status.verifying, nowIso()), execution: { ...state.execution!, commit: commit.result } });
    const verification = await verifyAction({ ...request, commit: commit.result });
    update({ ...state, execution: { ...state.execution!, verification } });
    if (verification.ok) {
      update(transition(state, Status.succeeded, nowIso(), 'committed and verified'));
    } else if (commit.rollbackAvailable) {
      const rollback = await rollbackAction({ ...request, commit: commit.result });
      update({ ...transition(state, Status.rolledBack, nowIso(), 'verification failed; rolled back'), execution: { ...state.execution!, rollback } });
    } else {
      update(transition(state, Status.needsAttention, nowIso(), 'verification failed and the action has no rollback'));
    }
  }

  async function finish(): Promise<ApprovalState> {
    const contact = state.proposal.requestedBy;
    if (contact.email) {
      outbox.push({ purpose: NoticePurpose.outcome, recipients: [{ reviewer: { id: contact.id, name: contact.name ?? contact.id, email: contact.email } }] });
    }
    if (state.evaluation) await sendNotices();
    // Decisions arriving while the run closes must be answered, not dropped.
    await condition(allHandlersFinished);
    return state;
  }
}

function refusal(code: DecisionRefusal, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.decisionRefused, message, details: [code], nonRetryable: true });
}

function failureMessage(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? (err as Error).message ?? String(err);
}

function roleOf(reviewers: ApprovalState['delegates'][number]['reviewer'][], state: ApprovalState): Notice['recipients'] {
  return eligibleReviewers(state).filter((e) => reviewers.some((r) => r.id === e.reviewer.id));
}

function undecidedReviewers(state: ApprovalState): Notice['recipients'] {
  const decided = new Set(currentRoundDecisions(state).map((d) => d.reviewerId));
  return eligibleReviewers(state).filter((e) => !decided.has(e.reviewer.id));
}

/** Escalation and delegation chosen by a reviewer mail the people they bring in. */
function queueDecisionNotices(before: ApprovalState, after: ApprovalState, signed: SignedDecision, outbox: Notice[]): void {
  const d = signed.payload;
  if (d.kind === 'escalate' && after.escalationLevel > before.escalationLevel) {
    outbox.push({ purpose: NoticePurpose.escalated, recipients: roleOf(latestEscalationReviewers(after), after), note: `escalated by ${d.reviewer.id}` });
  }
  if (d.kind === 'delegate') {
    const delegate = after.delegates[after.delegates.length - 1];
    if (delegate) outbox.push({ purpose: NoticePurpose.delegated, recipients: [{ reviewer: delegate.reviewer, role: delegate.role }], note: `delegated by ${d.reviewer.id}` });
  }
}
