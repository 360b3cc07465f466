/**
 * Activities that touch the world: commit, verify, rollback. Each re-checks that what it runs is
 * what was approved, and hands the executor the same idempotency key on every attempt.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { CommitRejectedError, type CommitRecord, type PreconditionDrift, type ExecutionContext, type Executor, type VerifyOutcome } from '../src/actions/executor';
import type { ActionTypeRegistry } from '../src/actions/registry';
import { paramsHash } from '../src/domain/canonical-hash';
import { FailureType } from '../src/domain/errors';
import type { Logger } from '../src/observability/logger';
import { whileHeartbeating } from './heartbeat';

export interface ExecutionRequest {
  workflowId: string;
  actionType: string;
  params: Record<string, unknown>;
  /** The hash the reviewers approved; the commit refuses anything else. */
  approvedHash: string;
  idempotencyKey: string;
}

export interface CommitResult {
  result: CommitRecord;
  alreadyApplied: boolean;
  rollbackAvailable: boolean;
}

/**
 * By class, or by name for executors loaded from GATEHOUSE_ACTION_MODULES: a plug-in may carry its
 * own copy of the class (another install of the package, or none at all).
 */
function isCommitRejected(err: unknown): err is Error {
  return err instanceof CommitRejectedError || (err instanceof Error && err.name === 'CommitRejectedError');
}

export function createExecutionActivities(actionTypes: ActionTypeRegistry, logger: Logger) {
  function prepare(request: ExecutionRequest): { executor: Executor; params: Record<string, unknown>; ctx: ExecutionContext } {
    const actual = paramsHash(request.params);
    if (actual !== request.approvedHash) {
      throw ApplicationFailure.nonRetryable(
        `refusing to execute: params hash ${actual} differs from the approved ${request.approvedHash}`,
        FailureType.approvedHashMismatch,
      );
    }
    const type = actionTypes.get(request.actionType);
    if (!type?.executor) {
      throw ApplicationFailure.nonRetryable(`no executor for action type "${request.actionType}" on this worker`, FailureType.noExecutor);
    }
    const parsed = type.paramsSchema.safeParse(request.params);
    if (!parsed.success) {
      throw ApplicationFailure.nonRetryable(`params no longer valid: ${parsed.error.issues[0]?.message ?? ''}`, FailureType.invalidParams);
    }
    const info = Context.current().info;
    return {
      executor: type.executor,
      params: parsed.data,
      ctx: {
        idempotencyKey: request.idempotencyKey,
        attempt: info.attempt,
        workflowId: request.workflowId,
        logger: logger.child({ workflowId: request.workflowId, activity: info.activityType, attempt: info.attempt }),
      },
    };
  }

  return {
    /**
     * Compares what the agent saw (the evidence's preconditions) with the target now. A drift
     * sends the run back for re-approval instead of committing a decision about another world.
     */
    async checkPreconditions(request: ExecutionRequest & { expected: Record<string, unknown> }): Promise<PreconditionDrift[]> {
      const { executor, params, ctx } = prepare(request);
      const fields = Object.keys(request.expected);
      if (!executor.readPreconditions || fields.length === 0) return [];
      const actual = await executor.readPreconditions(params, fields, ctx);
      return fields
        .filter((f) => JSON.stringify(actual[f]) !== JSON.stringify(request.expected[f]))
        .map((field) => ({ field, expected: request.expected[field], actual: actual[field] }));
    },

    async commitAction(request: ExecutionRequest): Promise<CommitResult> {
      const { executor, params, ctx } = prepare(request);
      try {
        const outcome = await whileHeartbeating(() => executor.commit(params, ctx));
        ctx.logger.info({ alreadyApplied: outcome.alreadyApplied }, 'commit done');
        const rollbackAvailable = executor.rollback !== undefined && (executor.canRollback?.(params) ?? true);
        return { result: outcome.record, alreadyApplied: outcome.alreadyApplied, rollbackAvailable };
      } catch (err) {
        if (isCommitRejected(err)) {
          throw ApplicationFailure.nonRetryable(err.message, FailureType.commitRejected);
        }
        throw err;
      }
    },

    async verifyAction(request: ExecutionRequest & { commit: CommitRecord }): Promise<VerifyOutcome> {
      const { executor, params, ctx } = prepare(request);
      return executor.verify(params, request.commit, ctx);
    },

    async rollbackAction(request: ExecutionRequest & { commit: CommitRecord }): Promise<CommitRecord> {
      const { executor, params, ctx } = prepare(request);
      if (!executor.rollback) throw ApplicationFailure.nonRetryable('executor has no rollback', FailureType.noExecutor);
      try {
        return await whileHeartbeating(() => executor.rollback!(params, request.commit, ctx));
      } catch (err) {
        if (isCommitRejected(err)) throw ApplicationFailure.nonRetryable(err.message, FailureType.commitRejected);
        throw err;
      }
    },
  };
}
