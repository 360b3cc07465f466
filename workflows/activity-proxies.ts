/**
 * Activity stubs with timeouts and retries chosen per intent. Only types cross from activities/.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { GatehouseActivities } from '../activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '../src/domain/errors';

const POLICY_RETRY = {
  initialInterval: '200 milliseconds',
  maximumInterval: '5 seconds',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
} as const;
const READ_RETRY = {
  initialInterval: '500 milliseconds',
  maximumInterval: '10 seconds',
  maximumAttempts: 10,
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
} as const;
const AUDIT_RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;

/** Mail can be down for a while; a reviewer must still get the mail once it is back. */
export const { notify } = proxyActivities<GatehouseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  },
  summary: 'notify',
});

/** A card that cannot be edited is stale until the next change: a few tries, then the run goes on. */
export const { updateSlackCards } = proxyActivities<GatehouseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
  summary: 'update slack cards',
});

/**
 * The outcome webhook. A receiver that is down for a while still gets the outcome once it is
 * back; the run waits for the delivery (about 40 minutes of attempts) before it closes.
 */
export const { deliverOutcome } = proxyActivities<GatehouseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 15,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  },
  summary: 'outcome webhook',
});

const COMMIT_RETRY = {
  initialInterval: '500 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 20,
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
} as const;

/**
 * The side effect. Every attempt carries the same idempotency key and checks the target first,
 * so retrying is safe; it is retried until it succeeds or fails for good. A run a person approved
 * commits in a regular activity: its attempts are recorded in history and any worker can take
 * over a retry.
 */
export const { commitAction } = proxyActivities<GatehouseActivities>({
  startToCloseTimeout: '30 seconds',
  // The attempt heartbeats while it runs: a worker that died mid-commit is replaced in seconds.
  heartbeatTimeout: '10 seconds',
  retry: COMMIT_RETRY,
  summary: 'commit',
});

/**
 * An auto-approved run's commit and the read that verifies it, as one local step in the workflow
 * task the policy approved it in: no task-queue round trip for the commit, no second workflow
 * task. The same idempotency key and the same checks as the regular commit, and no activity task
 * of its own that someone polling the task queue could complete with a made-up result. A worker that
 * dies during it leaves the task to time out, and the worker that takes the run over makes the
 * same call again under the same key. One try only: a failure worth retrying goes on as a regular
 * commit (see workflows/execution.ts), so the workflow task is never held while retries back off.
 */
export const { commitAndVerify } = proxyLocalActivities<GatehouseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 1 },
  summary: 'commit and verify',
});

/** The undo: like the commit, a side effect, so a regular activity. */
export const { rollbackAction } = proxyActivities<GatehouseActivities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '10 seconds',
  retry: READ_RETRY,
  summary: 'rollback',
});

/**
 * Reads the worker's current keys for a run told to refresh them. Local, like the policy step that
 * read them first: the keys come from the worker that holds the run, within its workflow task, so
 * nobody with access to Temporal can hand the run keys of their choosing.
 */
export const { readTrust } = proxyLocalActivities<GatehouseActivities>({
  startToCloseTimeout: '10 seconds',
  retry: POLICY_RETRY,
  summary: 'refresh trust',
});

/**
 * The steps around the decision that change nothing in the world: policy evaluation (CPU over
 * files already in memory), precondition and verification reads, and the audit append (an
 * idempotent write keyed by the run). They can run in either form; see `stepActivities`.
 */
export type StepActivities = Pick<GatehouseActivities, 'evaluatePolicy' | 'checkPreconditions' | 'verifyAction' | 'recordAudit'>;

const remoteReads = proxyActivities<GatehouseActivities>({ startToCloseTimeout: '30 seconds', retry: READ_RETRY });
const remoteSteps: StepActivities = {
  evaluatePolicy: proxyActivities<GatehouseActivities>({
    startToCloseTimeout: '10 seconds',
    retry: POLICY_RETRY,
    summary: 'evaluate policy',
  }).evaluatePolicy,
  checkPreconditions: remoteReads.checkPreconditions,
  verifyAction: remoteReads.verifyAction,
  recordAudit: proxyActivities<GatehouseActivities>({ startToCloseTimeout: '30 seconds', retry: AUDIT_RETRY, summary: 'audit' })
    .recordAudit,
};

/**
 * Local activities run in the worker that holds the run, inside the same workflow task, and leave
 * one marker in history instead of six events and two extra workflow tasks. Retries beyond the
 * threshold wait on a durable timer, so a long outage still costs no busy worker.
 */
const localSteps: StepActivities = {
  evaluatePolicy: proxyLocalActivities<GatehouseActivities>({
    startToCloseTimeout: '10 seconds',
    retry: POLICY_RETRY,
    summary: 'evaluate policy',
  }).evaluatePolicy,
  checkPreconditions: proxyLocalActivities<GatehouseActivities>({
    startToCloseTimeout: '30 seconds',
    retry: READ_RETRY,
    summary: 'check preconditions',
  }).checkPreconditions,
  verifyAction: proxyLocalActivities<GatehouseActivities>({ startToCloseTimeout: '30 seconds', retry: READ_RETRY, summary: 'verify' })
    .verifyAction,
  recordAudit: proxyLocalActivities<GatehouseActivities>({ startToCloseTimeout: '30 seconds', retry: AUDIT_RETRY, summary: 'audit' })
    .recordAudit,
};

/** Runs started before local steps existed replay with the regular activities they recorded. */
export function stepActivities(local: boolean): StepActivities {
  return local ? localSteps : remoteSteps;
}
