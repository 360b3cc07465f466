/**
 * Activity stubs with timeouts and retries chosen per intent. Only types cross from activities/.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { GatehouseActivities } from '../activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '../src/domain/errors';

/** Policy evaluation is pure CPU over files already in memory: quick, retried briefly. */
export const { evaluatePolicy } = proxyActivities<GatehouseActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '5 seconds', nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
  summary: 'evaluate policy',
});

/** Mail can be down for a while; a reviewer must still get the mail once it is back. */
export const { notify } = proxyActivities<GatehouseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
  summary: 'notify',
});

/**
 * The side effect. Every attempt carries the same idempotency key and checks the target first,
 * so retrying is safe; it is retried until it succeeds or fails for good.
 */
export const { commitAction } = proxyActivities<GatehouseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 20,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  },
  summary: 'commit',
});

/** The audit copy must land even if the disk is briefly unavailable. */
export const { recordAudit } = proxyActivities<GatehouseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  summary: 'audit',
});

/** Read-only checks (preconditions, verify) and the undo (rollback). */
export const { checkPreconditions, verifyAction, rollbackAction } = proxyActivities<GatehouseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});
