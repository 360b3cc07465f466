/**
 * The approval workflow: one proposed action, from policy to an executed and verified effect (or
 * a reasoned refusal). Every state change goes through the pure reducer in approval-state.ts.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Revision, SignedDecision } from '../src/domain/decision';
import type { DecisionPublicKeys } from '../src/domain/decision-signature';
import { DecisionRefusal, FailureType } from '../src/domain/errors';
import { idempotencyKeyFor } from '../src/domain/ids';
import type { PolicyEvaluation } from '../src/domain/evaluation';
import type { Proposal } from '../src/domain/proposal';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';
import { stepActivities, type StepActivities } from './activity-proxies';
import {
  applyDecision,
  applyEdit,
  applyRevision,
  checkDecision,
  checkRevision,
  checkWithdraw,
  initialState,
  remainingSlots,
  reopenForDrift,
  transition,
  withEvaluation,
} from './approval-state';
import { executeApproved } from './execution';
import { decideSignal, decideUpdate, getStateQuery, reviseUpdate, withdrawUpdate } from './messages';
import { messageSchemas } from './message-schemas';
import { recordRunMetrics } from './metrics';
import { NoticePurpose, createOutbox, type Outbox } from './notices';
import { runReview } from './review';
import { createStatePublisher } from './search-attributes';

export interface ApprovalInput {
  proposal: Proposal;
}

/** The run's mutable state, shared by the handlers and the story's steps. */
export interface Run {
  readonly workflowId: string;
  get(): ApprovalState;
  set(next: ApprovalState): void;
  readonly outbox: Outbox;
  /** Started after the 'local-steps' patch (see approvalWorkflow): the shorter history. */
  readonly lean: boolean;
  /** Policy, precondition, verification and audit steps, local or regular. */
  readonly steps: StepActivities;
  /** Publishes the current status as one the run rests in (see createStatePublisher). */
  showResting(): void;
}

const nowIso = (): string => new Date().toISOString();

export async function approvalWorkflow(input: ApprovalInput): Promise<ApprovalState> {
  const { workflowId } = workflowInfo();
  // Runs started before this change recorded regular activities for the read-only steps and a
  // search-attribute upsert on every status; they replay that way. New runs use local
  // activities and publish only the statuses operators filter on: 33 events instead of 51.
  const lean = patched('local-steps');
  const publish = createStatePublisher({ skipTransientStatuses: lean });
  let state = initialState(workflowId, input.proposal);
  // Filled from the worker's configuration by the policy activity; until then nothing is accepted.
  let decisionKeys: DecisionPublicKeys = {};
  const run: Run = {
    workflowId,
    get: () => state,
    set: (next) => {
      state = next;
      publish(state);
    },
    outbox: createOutbox(),
    lean,
    steps: stepActivities(lean),
    showResting: () => publish(state, true),
  };
  registerHandlers(run, () => decisionKeys);

  run.set(transition(state, Status.evaluating, nowIso()));
  const evaluated = await run.steps.evaluatePolicy({ proposal: state.proposal, workflowId });
  decisionKeys = evaluated.decisionKeys;
  if (state.status === Status.withdrawn) return finish(run);
  run.set(withEvaluation(state, evaluated.evaluation));

  switch (evaluated.evaluation.outcome) {
    case 'deny':
      run.set(transition(state, Status.denied, nowIso(), evaluated.evaluation.reason));
      return finish(run);
    case 'auto_approve':
      run.set(transition(state, Status.autoApproved, nowIso(), evaluated.evaluation.reason));
      break;
    case 'review':
      await runReview(run);
      if (state.status !== Status.approved) return finish(run);
      break;
    default: {
      const unreachable: never = evaluated.evaluation.outcome;
      throw ApplicationFailure.nonRetryable(`unknown evaluation outcome ${String(unreachable)}`);
    }
  }
  // Checked here as well as in preconditionsHold: most runs have none, and skipping the call
  // spares its promises (each one a stack capture in the SDK) on every decision and replay.
  if (expectedPreconditions(run) && !(await preconditionsHold(run))) return finish(run);
  await executeApproved(run);
  return finish(run);
}

/** How often a run goes back for re-approval because the world moved, before it gives up. */
const MAX_PRECONDITION_ROUNDS = 3;

/** What the agent recorded the target to look like (checked again before the commit), if anything. */
function expectedPreconditions(run: Run): Record<string, unknown> | undefined {
  const expected = run.get().proposal.evidence.preconditions;
  return expected && Object.keys(expected).length > 0 ? expected : undefined;
}

/**
 * Before committing, the target must still be as the agent saw it. If not, the run goes back to
 * its reviewers with the difference instead of committing a stale decision.
 */
async function preconditionsHold(run: Run): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const state = run.get();
    const expected = expectedPreconditions(run);
    if (!expected) return true;
    const drift = await run.steps.checkPreconditions({
      workflowId: run.workflowId,
      actionType: state.proposal.actionType,
      params: state.proposal.params,
      approvedHash: state.paramsHash,
      idempotencyKey: idempotencyKeyFor(run.workflowId, state.round),
      expected,
    });
    if (drift.length === 0) return true;
    if (attempt >= MAX_PRECONDITION_ROUNDS) {
      run.set(transition(state, Status.failed, nowIso(), `preconditions kept changing (${drift.map((d) => d.field).join(', ')}); nothing executed`));
      return false;
    }
    run.set(reopenForDrift(state, drift, nowIso()));
    if (run.get().status === Status.awaitingApproval) await runReview(run);
    if (run.get().status !== Status.approved) return false;
  }
}

/** Tells the principal the outcome, then waits for in-flight handlers so no decision is dropped. */
async function finish(run: Run): Promise<ApprovalState> {
  const state = run.get();
  const contact = state.proposal.requestedBy;
  if (contact.email && state.evaluation) {
    run.outbox.push({ purpose: NoticePurpose.outcome, recipients: [{ reviewer: { id: contact.id, name: contact.name ?? contact.id, email: contact.email } }] });
    await run.outbox.flush(run.get());
  }
  // Histories recorded before the audit log existed replay without this step; runs with local
  // steps came later still, so they need no second marker for it.
  if (run.lean || patched('audit-log')) await run.steps.recordAudit({ state: run.get() });
  recordRunMetrics(run.get());
  await condition(allHandlersFinished);
  return run.get();
}

/**
 * Handlers are registered before the first await: updates without a handler at the end of the
 * first activation are rejected, and buffered signals must meet the same checks as updates.
 */
function registerHandlers(run: Run, keys: () => DecisionPublicKeys): void {
  const check = (raw: unknown): SignedDecision => {
    const parsed = messageSchemas().SignedDecisionSchema.safeParse(raw);
    if (!parsed.success) throw refusal(DecisionRefusal.invalid, `malformed decision: ${parsed.error.issues[0]?.message ?? ''}`);
    const result = checkDecision(run.get(), parsed.data, keys());
    if (!result.ok) throw refusal(result.code, result.message);
    return parsed.data;
  };
  const decide = async (signed: SignedDecision) => {
    const before = run.get();
    if (signed.payload.kind === 'approve_with_edits') {
      const evaluation = await evaluateVersion(run, signed.payload.editedParams ?? {}, (reason) =>
        refusal(DecisionRefusal.invalid, `the edited version is refused: ${reason}`),
      );
      // Another decision may have settled the round while the policy was evaluated.
      const recheck = checkDecision(run.get(), signed, keys());
      if (!recheck.ok) throw refusal(recheck.code, recheck.message);
      run.set(applyEdit(run.get(), signed.payload, evaluation, nowIso()));
    } else {
      run.set(applyDecision(run.get(), signed.payload, nowIso()));
    }
    run.outbox.queueDecisionNotices(before, run.get(), signed);
    const state = run.get();
    return { status: state.status, round: state.round, remaining: remainingSlots(state) };
  };

  setHandler(decideUpdate, (signed) => decide(signed), { validator: (signed) => void check(signed) });
  setHandler(decideSignal, async (raw) => {
    try {
      await decide(check(raw));
    } catch (err) {
      // A signal cannot be refused to its sender; an invalid one is logged and never applied.
      log.warn('decision signal ignored', { reason: (err as Error).message, workflowId: run.workflowId });
    }
  });
  setHandler(
    reviseUpdate,
    async (revision: Revision) => {
      const evaluation = await evaluateVersion(run, revision.params, (reason) =>
        ApplicationFailure.create({ type: FailureType.reviseRefused, message: `the revision is refused: ${reason}`, nonRetryable: true }),
      );
      const recheck = checkRevision(run.get(), revision.by);
      if (!recheck.ok) throw ApplicationFailure.create({ type: FailureType.reviseRefused, message: recheck.message, nonRetryable: true });
      run.set(applyRevision(run.get(), revision, evaluation, nowIso()));
      return run.get().status;
    },
    {
      validator: (revision) => {
        const parsed = messageSchemas().RevisionSchema.safeParse(revision);
        if (!parsed.success) {
          throw ApplicationFailure.create({ type: FailureType.reviseRefused, message: `malformed revision: ${parsed.error.issues[0]?.message ?? ''}`, nonRetryable: true });
        }
        const result = checkRevision(run.get(), parsed.data.by);
        if (!result.ok) throw ApplicationFailure.create({ type: FailureType.reviseRefused, message: result.message, nonRetryable: true });
      },
    },
  );
  setHandler(
    withdrawUpdate,
    (withdrawal) => {
      run.set(transition(run.get(), Status.withdrawn, nowIso(), `withdrawn by ${withdrawal.by}${withdrawal.reason ? `: ${withdrawal.reason}` : ''}`));
      return run.get().status;
    },
    {
      validator: (withdrawal) => {
        if (!messageSchemas().WithdrawalSchema.safeParse(withdrawal).success) {
          throw ApplicationFailure.create({ type: FailureType.withdrawRefused, message: 'malformed withdrawal', nonRetryable: true });
        }
        const result = checkWithdraw(run.get());
        if (!result.ok) throw ApplicationFailure.create({ type: FailureType.withdrawRefused, message: result.message, nonRetryable: true });
      },
    },
  );
  setHandler(getStateQuery, () => run.get());
}

/**
 * Re-validates a new params version and re-evaluates the policy on it. A version the policy
 * would deny (invalid params, missing evidence) is refused, and the run stays as it was.
 */
async function evaluateVersion(
  run: Run,
  params: Record<string, unknown>,
  refuse: (reason: string) => ApplicationFailure,
): Promise<PolicyEvaluation> {
  const proposal = { ...run.get().proposal, params };
  const { evaluation } = await run.steps.evaluatePolicy({ proposal, workflowId: run.workflowId });
  if (evaluation.outcome === 'deny') throw refuse(evaluation.reason);
  return evaluation;
}

function refusal(code: DecisionRefusal, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.decisionRefused, message, details: [code], nonRetryable: true });
}
