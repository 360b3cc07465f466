/**
 * After approval: commit once (same idempotency key on every attempt), verify, and roll back or
 * call an operator when the effect is not what was approved.
 */
import { ApplicationFailure, CancellationScope, sleep } from '@temporalio/workflow';
import type { VerifyOutcome } from '../src/actions/executor';
import { approvedHashOf, CommitBasis } from '../src/domain/approval-cover';
import type { SignedDecision } from '../src/domain/decision';
import { FailureType, NON_RETRYABLE_FAILURE_TYPES } from '../src/domain/errors';
import { idempotencyKeyFor } from '../src/domain/ids';
import { RunEventType } from '../src/domain/run-event';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';
import { NoticePurpose } from '../src/domain/notice';
import { commitAction, commitAndVerify, rollbackAction } from './activity-proxies';
import type { Run } from './run-context';

export async function executeApproved(run: Run): Promise<void> {
  const state = run.get();
  const idempotencyKey = idempotencyKeyFor(run.workflowId, state.round);
  const request = {
    workflowId: run.workflowId,
    actionType: state.proposal.actionType,
    // The approved version, never the agent's original when a reviewer edited it.
    params: state.proposal.params,
    approvedHash: state.paramsHash,
    idempotencyKey,
  };
  run.apply({ type: 'commit_started', idempotencyKey, executedHash: state.paramsHash });
  // The commit checks the signatures itself: it gets every signed approval and the proposal, not
  // the run's word for who approved.
  const commitRequest = {
    ...request,
    proposal: state.proposal,
    basis: commitBasis(state),
    approvals: signedApprovals(state),
    ...(run.mayHaveCommitted ? { earlierAttemptPossible: true as const } : {}),
  };
  let commit: CommitResult;
  // Verified in the commit's own local step, when it ran as one and the read succeeded.
  let verifiedInStep: VerifyOutcome | undefined;
  try {
    // Only on the policy's own approval: a run that went back to people (its target drifted)
    // commits in a regular activity, as every run a person approved does.
    if (run.commitInTask && commitRequest.basis === CommitBasis.autoApproved)
      ({ commit, verification: verifiedInStep } = await commitInTask(run, commitRequest));
    else commit = await (run.lean ? shownIfSlow(run, commitAction(commitRequest)) : commitAction(commitRequest));
  } catch (err) {
    if (failureType(err) === FailureType.approvalsDoNotCover) {
      run.apply({ type: 'commit_refused', reason: failureMessage(err) });
      return callOperators(run);
    }
    run.apply({ type: 'commit_failed', message: failureMessage(err) });
    return;
  }
  run.apply({ type: 'commit_recorded', result: commit.result });
  let verification: VerifyOutcome;
  try {
    verification = verifiedInStep ?? (await run.steps.verifyAction({ ...request, commit: commit.result }));
  } catch (err) {
    // The effect may well exist; nobody could confirm it. A human decides, nothing is undone.
    run.apply({ type: 'verification_unavailable', message: failureMessage(err) });
    return callOperators(run);
  }
  run.apply({ type: 'verified', verification });
  if (verification.ok) return;
  let reason = 'verification failed and the action has no rollback';
  if (commit.rollbackAvailable) {
    try {
      const rollback = await rollbackAction({ ...request, commit: commit.result });
      run.apply({ type: 'rolled_back', rollback });
      return;
    } catch (err) {
      // A refused or failing undo is exactly when a human must look.
      reason = `verification failed and the rollback failed: ${failureMessage(err)}`;
    }
  }
  run.apply({ type: 'rollback_failed', reason });
  return callOperators(run);
}

type CommitRequest = Parameters<typeof commitAction>[0];
type CommitResult = Awaited<ReturnType<typeof commitAction>>;

/**
 * One try as a local step of the workflow task. One that fails for a reason worth retrying (the
 * target is down, slow or busy) goes on as a regular commit: its retries are recorded, wait on
 * server timers and heartbeat, instead of holding the workflow task while they back off. It may
 * follow a try that applied the effect, so it checks the target first.
 */
async function commitInTask(run: Run, request: CommitRequest): Promise<{ commit: CommitResult; verification?: VerifyOutcome }> {
  try {
    return await commitAndVerify(request);
  } catch (err) {
    if (isFinal(err)) throw err;
    return { commit: await shownIfSlow(run, commitAction({ ...request, earlierAttemptPossible: true })) };
  }
}

/** A failure no retry can change: the commit refused or could not be run as approved. */
function isFinal(err: unknown): boolean {
  const reported = reportedFailure(err);
  return reported !== undefined && (reported.nonRetryable || NON_RETRYABLE_FAILURE_TYPES.includes(reported.type ?? ''));
}

/**
 * The failure the activity itself reported: a regular activity's comes wrapped in an
 * ActivityFailure, a local one's as it was thrown.
 */
function reportedFailure(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

/** A human must look: the run's operators are mailed. */
export async function callOperators(run: Run): Promise<void> {
  const operators = run.get().evaluation?.operators ?? [];
  run.outbox.push({ purpose: NoticePurpose.needsAttention, recipients: operators.map((reviewer) => ({ reviewer })) });
  await run.outbox.flush(run.get());
}

/**
 * How long a commit runs before search shows the run as `committing`. Upserting that status in
 * the decision's own workflow task costs every decision ~3.5 ms on its way to the commit; most
 * commits finish well within this, and go straight from awaiting approval to their outcome. A
 * slow or retrying one becomes findable as committing (the run's state query says so at once).
 */
const SHOW_COMMITTING_AFTER = '5 seconds';

async function shownIfSlow<T>(run: Run, commit: Promise<T>): Promise<T> {
  // A bare timer in its own scope rather than condition(settled, timeout): the same commands
  // (start the timer, cancel it when the commit settles first) with half the promises, and each
  // promise costs the SDK a captured stack, on every decision and again on every replay.
  const timer = new CancellationScope();
  timer.run(() => sleep(SHOW_COMMITTING_AFTER)).then(() => run.showResting(), ignoreCancelled);
  try {
    return await commit;
  } finally {
    timer.cancel();
  }
}

/** The timer's scope is cancelled once the commit settles: that is the normal end, not a failure. */
function ignoreCancelled(): void {}

/** Why the run may execute, from the transition that approved it. */
function commitBasis(state: ApprovalState): CommitBasis {
  const approval = [...state.transitions].reverse().find((t) => t.to === Status.approved || t.to === Status.autoApproved);
  if (approval?.to === Status.autoApproved) return CommitBasis.autoApproved;
  return approval?.event === RunEventType.expired ? CommitBasis.expiry : CommitBasis.reviewed;
}

/**
 * The signed approvals of exactly the version executed: the only ones the commit's check can
 * count. Approvals of earlier versions (each edit carries its whole params) stay out, so the
 * commit's input stays within Temporal's payload limit however many versions the run went through.
 */
function signedApprovals(state: ApprovalState): SignedDecision[] {
  return state.decisions.flatMap((d) => (d.signed && approvedHashOf(d.signed) === state.paramsHash ? [d.signed] : []));
}

function failureType(err: unknown): string | undefined {
  return reportedFailure(err)?.type ?? undefined;
}

function failureMessage(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return reportedFailure(err)?.message ?? cause?.message ?? (err as Error).message ?? String(err);
}
