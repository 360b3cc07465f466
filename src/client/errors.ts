/** Errors the client SDK throws; each says what to fix. */

export interface FieldProblem {
  path: string;
  message: string;
}

/** Thrown when a proposal fails validation; `problems` lists every bad field. Nothing was started. */
export class ProposalValidationError extends Error {
  override readonly name = 'ProposalValidationError';
  constructor(readonly problems: FieldProblem[]) {
    super(`invalid proposal: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
}

/** Thrown when a proposal id is reused with different content. */
export class ProposalConflictError extends Error {
  override readonly name = 'ProposalConflictError';
  constructor(readonly workflowId: string) {
    super(`proposal ${workflowId} already exists with different content; choose a new proposal id`);
  }
}

/** Thrown when the workflow refused a decision; `code` says why (see DecisionRefusal). */
export class DecisionRefusedError extends Error {
  override readonly name = 'DecisionRefusedError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown when a withdrawal comes too late (the commit has started or the run is over). */
export class WithdrawRefusedError extends Error {
  override readonly name = 'WithdrawRefusedError';
}

/** Thrown when a revision is refused: no changes were requested, or the new version is invalid. */
export class ReviseRefusedError extends Error {
  override readonly name = 'ReviseRefusedError';
}

/** Thrown when no run exists for a workflow id. */
export class RunNotFoundError extends Error {
  override readonly name = 'RunNotFoundError';
  constructor(
    readonly workflowId: string,
    options?: { cause?: unknown },
  ) {
    super(`no approval run ${workflowId}`, options);
  }
}

/** Thrown when `waitForOutcomes` is given something that is not a list of workflow ids. Nothing is waited for. */
export class OutcomeWaitError extends Error {
  override readonly name = 'OutcomeWaitError';
}
