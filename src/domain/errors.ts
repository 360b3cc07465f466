/**
 * Error types that cross Temporal history as `ApplicationFailure.type`. One list, shared by the
 * workflow (what to retry), the activities (what to throw) and the HTTP layer (which status).
 */
export const FailureType = {
  /** A decision the workflow refused; `details[0]` is a {@link DecisionRefusal} code. */
  decisionRefused: 'DecisionRefused',
  withdrawRefused: 'WithdrawRefused',
  reviseRefused: 'ReviseRefused',
  /** What would be executed does not hash to what was approved. */
  approvedHashMismatch: 'ApprovedHashMismatch',
  /** The signed approvals the commit was given do not cover what it would execute. */
  approvalsDoNotCover: 'ApprovalsDoNotCover',
  /** The action type has no executor on this worker. */
  noExecutor: 'NoExecutor',
  /** The target refused the action for good (4xx, invalid recipient...). */
  commitRejected: 'CommitRejected',
  invalidParams: 'InvalidParams',
  /** A request to a destination the egress allow-list does not allow, or a redirect. */
  egressRefused: 'EgressRefused',
  /**
   * The mail server refused a notification for good (5xx, a bad address): retrying cannot deliver
   * it. `details[0]` lists the recipients it failed for ({@link UndeliverableRecipient}).
   */
  notificationUndeliverable: 'NotificationUndeliverable',
  /** The outcome webhook's receiver refused it for good (a 4xx), or no webhook key is configured. */
  webhookRefused: 'WebhookRefused',
  /** The worker already runs as many commits inside workflow tasks as it may: commit as an activity. */
  localCommitsBusy: 'LocalCommitsBusy',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Retrying these cannot succeed: the same input fails the same way. */
export const NON_RETRYABLE_FAILURE_TYPES: string[] = [
  FailureType.approvedHashMismatch,
  FailureType.approvalsDoNotCover,
  FailureType.noExecutor,
  FailureType.commitRejected,
  FailureType.invalidParams,
  FailureType.egressRefused,
  FailureType.notificationUndeliverable,
  FailureType.webhookRefused,
];

/** Why the workflow refused a decision; the HTTP layer maps each to a status and a page. */
export const DecisionRefusal = {
  badSignature: 'bad_signature',
  wrongWorkflow: 'wrong_workflow',
  notAwaiting: 'not_awaiting',
  staleRound: 'stale_round',
  paramsChanged: 'params_changed',
  selfApproval: 'self_approval',
  notEligible: 'not_eligible',
  alreadyDecided: 'already_decided',
  slotFilled: 'slot_filled',
  duplicate: 'duplicate',
  invalid: 'invalid',
  unsupported: 'unsupported',
} as const;
export type DecisionRefusal = (typeof DecisionRefusal)[keyof typeof DecisionRefusal];
