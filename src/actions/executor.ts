/**
 * What an action type must provide to be executed. Commit is called at least once per approved
 * action (Temporal retries activities), so it must check before it acts.
 */
import type { Egress } from '../egress/guarded-fetch';
import type { Logger } from '../observability/logger';

export interface ExecutionContext {
  /** Same on every attempt of the same approved action: hand it to the target. */
  idempotencyKey: string;
  /**
   * 1 only on a first try that no earlier one can have preceded; above 1 the effect may already
   * exist, so check before acting. An auto-approved run's commit, made as a local step of its
   * workflow task, starts at 2: a worker that dies during it leaves the task to be retried
   * elsewhere, where the step's count starts again, so its first try cannot rule out an earlier one;
   * the regular commit that takes over from a failed local try counts on from there.
   */
  attempt: number;
  workflowId: string;
  logger: Logger;
  /** The only network access an executor has: the allow-list of the configuration and the policy. */
  egress: Egress;
}

/** JSON-only record of what the commit did; it goes into history and the audit trail. */
export type CommitRecord = Record<string, unknown>;

export interface CommitOutcome {
  record: CommitRecord;
  /** True when the check found the effect from an earlier attempt and did nothing. */
  alreadyApplied: boolean;
}

export interface VerifyOutcome {
  ok: boolean;
  observed: unknown;
}

/** One precondition that no longer holds: what the agent saw and what the target shows now. */
export interface PreconditionDrift {
  field: string;
  expected: unknown;
  actual: unknown;
}

export interface Executor<P = Record<string, unknown>> {
  /**
   * Reads the target's current values of the fields the agent based its proposal on (the
   * evidence's `preconditions`). Called after approval and before commit.
   */
  readPreconditions?(params: P, fields: string[], ctx: ExecutionContext): Promise<Record<string, unknown>>;
  commit(params: P, ctx: ExecutionContext): Promise<CommitOutcome>;
  /** Read-only: does the effect exist as committed? */
  verify(params: P, record: CommitRecord, ctx: ExecutionContext): Promise<VerifyOutcome>;
  rollback?(params: P, record: CommitRecord, ctx: ExecutionContext): Promise<CommitRecord>;
  /** Whether `rollback` can undo these params (some actions carry their own undo); true when absent. */
  canRollback?(params: P): boolean;
}

/** Thrown when the target refuses the action for good; the commit is not retried. */
export class CommitRejectedError extends Error {
  override readonly name = 'CommitRejectedError';
}
