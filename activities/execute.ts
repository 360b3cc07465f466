/**
 * Activities that touch the world: commit, verify, rollback. Each re-checks that what it runs is
 * what was approved, and hands the executor the same idempotency key on every attempt.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  CommitRejectedError,
  type CommitRecord,
  type PreconditionDrift,
  type ExecutionContext,
  type Executor,
  type VerifyOutcome,
} from '../src/actions/executor';
import type { ActionTypeRegistry } from '../src/actions/registry';
import { checkApprovalCover, type CommitBasis } from '../src/domain/approval-cover';
import { nativeCheckSignature } from '../src/links/native-verify';
import { paramsHash } from '../src/domain/canonical-hash';
import type { SignedDecision } from '../src/domain/decision';
import { FailureType } from '../src/domain/errors';
import { mergeAllowLists, type EgressAllowList } from '../src/egress/allow-list';
import { createEgress, EgressRefusedError, type Resolver } from '../src/egress/guarded-fetch';
import type { AgentRegistry } from '../src/domain/agent-auth';
import type { Proposal } from '../src/domain/proposal';
import type { TrustedKeys } from '../src/domain/trusted-keys';
import type { Logger } from '../src/observability/logger';
import type { PolicyBook } from '../src/policy/load';
import type { SamplingKey } from '../src/policy/sampling';
import { evaluateWithPolicyBook } from './evaluate-policy';
import { whileHeartbeating } from './heartbeat';

export interface ExecutionRequest {
  workflowId: string;
  actionType: string;
  params: Record<string, unknown>;
  /** The hash the reviewers approved; the commit refuses anything else. */
  approvedHash: string;
  idempotencyKey: string;
}

/** The commit also gets what it needs to check, on its own, that the approvals cover what it runs. */
export interface CommitRequest extends ExecutionRequest {
  /** The proposal as approved (its params are the ones executed): the policy is evaluated again on it. */
  proposal: Proposal;
  basis: CommitBasis;
  /** Every signed approval the run recorded; the check keeps those that approve exactly these params. */
  approvals: SignedDecision[];
  /**
   * An earlier try may have applied the effect although this is the activity's first attempt: the
   * commit began as a local step in the workflow task, which failed, or the run's first task was
   * retried after a worker that commits inside tasks lost it (see ExecutionContext.attempt).
   */
  earlierAttemptPossible?: true;
}

export interface CommitResult {
  result: CommitRecord;
  alreadyApplied: boolean;
  rollbackAvailable: boolean;
}

/** The commit made within the run's workflow task, and what the read right after it saw. */
export interface CommittedInTask {
  commit: CommitResult;
  /** Absent when the read failed: the run then verifies in a step of its own, with that step's retries. */
  verification?: VerifyOutcome;
}

/**
 * By class, or by name for executors loaded from GATEHOUSE_ACTION_MODULES: a plug-in may carry its
 * own copy of the class (another install of the package, or none at all).
 */
function isCommitRejected(err: unknown): err is Error {
  return err instanceof CommitRejectedError || (err instanceof Error && err.name === 'CommitRejectedError');
}

/** Where executors may send requests: the configuration's list; each policy may add its own. */
export interface EgressSettings {
  allow: EgressAllowList;
  /** Name resolution for the connect-time check; the system resolver when absent. */
  resolve?: Resolver;
}

/** Both "never" answers of a target become failures the workflow does not retry. */
function nonRetryable(err: unknown): unknown {
  if (isCommitRejected(err)) return ApplicationFailure.nonRetryable(err.message, FailureType.commitRejected);
  if (err instanceof EgressRefusedError) return ApplicationFailure.nonRetryable(err.message, FailureType.egressRefused);
  return err;
}

export interface ExecutionDeps {
  actionTypes: ActionTypeRegistry;
  policyBook: PolicyBook;
  trustedKeys: TrustedKeys;
  samplingKey: SamplingKey;
  agents: AgentRegistry;
  egress: EgressSettings;
  logger: Logger;
  /** Commits in workflow tasks at once; past it, a local try gives way to a regular commit. */
  localCommits: number;
}

export function createExecutionActivities({
  actionTypes,
  policyBook,
  trustedKeys,
  samplingKey,
  agents,
  egress,
  logger,
  localCommits,
}: ExecutionDeps) {
  let localInFlight = 0;
  /**
   * Refuses to commit unless enough distinct, eligible people signed approvals of exactly these
   * params, as the policy evaluated now for them requires; it trusts nothing the run reports
   * about who approved.
   */
  function checkCovered(request: CommitRequest): void {
    const executedHash = paramsHash(request.params);
    const proposal = { ...request.proposal, params: request.params };
    const cover = checkApprovalCover({
      workflowId: request.workflowId,
      executedHash,
      // Who the agent is was settled when the run started (its proposal's signature); this
      // evaluation is about what these params require, so it takes the run's agent as given.
      evaluation: evaluateWithPolicyBook(
        { policyBook, actionTypes, samplingKey, agents },
        {
          proposal,
          workflowId: request.workflowId,
          authenticated: { agentId: proposal.agent.id, keyId: proposal.credential?.keyId ?? 'run' },
        },
      ),
      proposer: { agentId: proposal.agent.id, requesterId: proposal.requestedBy.id },
      basis: request.basis,
      approvals: request.approvals,
      keys: trustedKeys,
      verify: nativeCheckSignature,
    });
    if (!cover.ok) throw ApplicationFailure.nonRetryable(`refusing to execute: ${cover.reason}`, FailureType.approvalsDoNotCover);
  }

  function prepare(request: ExecutionRequest & Pick<CommitRequest, 'earlierAttemptPossible'>): {
    executor: Executor;
    params: Record<string, unknown>;
    ctx: ExecutionContext;
  } {
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
    // A local step's count restarts when its workflow task is retried after a worker died, so a
    // local first try may follow an attempt that applied the effect (see ExecutionContext.attempt).
    const attempt = info.isLocal || request.earlierAttemptPossible ? info.attempt + 1 : info.attempt;
    const policyAllow = policyBook?.policies.get(request.actionType)?.egress;
    const allow = policyAllow ? mergeAllowLists(egress.allow, policyAllow) : egress.allow;
    return {
      executor: type.executor,
      params: parsed.data,
      ctx: {
        idempotencyKey: request.idempotencyKey,
        attempt,
        workflowId: request.workflowId,
        logger: logger.child({ workflowId: request.workflowId, activity: info.activityType, attempt }),
        egress: createEgress({ allow, ...(egress.resolve ? { resolve: egress.resolve } : {}) }),
      },
    };
  }

  async function commitAction(request: CommitRequest): Promise<CommitResult> {
    const { executor, params, ctx } = prepare(request);
    checkCovered(request);
    try {
      const outcome = await whileHeartbeating(() => executor.commit(params, ctx));
      ctx.logger.info({ alreadyApplied: outcome.alreadyApplied }, 'commit done');
      const rollbackAvailable = executor.rollback !== undefined && (executor.canRollback?.(params) ?? true);
      return { result: outcome.record, alreadyApplied: outcome.alreadyApplied, rollbackAvailable };
    } catch (err) {
      throw nonRetryable(err);
    }
  }

  async function verifyAction(request: ExecutionRequest & { commit: CommitRecord }): Promise<VerifyOutcome> {
    const { executor, params, ctx } = prepare(request);
    try {
      return await executor.verify(params, request.commit, ctx);
    } catch (err) {
      throw nonRetryable(err);
    }
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
      const actual = await executor.readPreconditions(params, fields, ctx).catch((err: unknown) => {
        throw nonRetryable(err);
      });
      return fields
        .filter((f) => JSON.stringify(actual[f]) !== JSON.stringify(request.expected[f]))
        .map((field) => ({ field, expected: request.expected[field], actual: actual[field] }));
    },

    commitAction,
    verifyAction,

    /**
     * An auto-approved run's commit, as a local step of the workflow task that approved it, then
     * the read that verifies it. A read that fails here is not a failed commit: the run verifies
     * in a step of its own, which retries and, failing that, calls a person.
     */
    async commitAndVerify(request: CommitRequest): Promise<CommittedInTask> {
      // Each one holds a workflow-task slot while it runs: past the limit (slow targets), the run
      // commits in a regular activity instead, before anything is sent.
      if (localInFlight >= localCommits) {
        throw ApplicationFailure.retryable(`${localInFlight} commits already run inside workflow tasks`, FailureType.localCommitsBusy);
      }
      localInFlight++;
      try {
        const commit = await commitAction(request);
        try {
          return { commit, verification: await verifyAction({ ...request, commit: commit.result }) };
        } catch (err) {
          logger.warn(
            { workflowId: request.workflowId, err: (err as Error).message },
            'verification after the commit failed; the run verifies again',
          );
          return { commit };
        }
      } finally {
        localInFlight--;
      }
    },

    async rollbackAction(request: ExecutionRequest & { commit: CommitRecord }): Promise<CommitRecord> {
      const { executor, params, ctx } = prepare(request);
      if (!executor.rollback) throw ApplicationFailure.nonRetryable('executor has no rollback', FailureType.noExecutor);
      try {
        return await whileHeartbeating(() => executor.rollback!(params, request.commit, ctx));
      } catch (err) {
        throw nonRetryable(err);
      }
    },
  };
}
