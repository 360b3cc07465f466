/** Public SDK for agent services. */
export { GatehouseClient, ProposalHandle, type GatehouseClientOptions, type SigningOptions } from './gatehouse-client';
export { AgentKeyError, createAgentSigner, type AgentSigner } from './agent-signer';
export {
  DecisionRefusedError,
  ProposalConflictError,
  OutcomeWaitError,
  ProposalValidationError,
  ReviseRefusedError,
  RunNotFoundError,
  WithdrawRefusedError,
  type FieldProblem,
} from './errors';
export type { Proposal, ProposalInput, Evidence, Principal, Agent } from '../domain/proposal';
export type { ApprovalState, DecisionRecord } from '../domain/state';
export type { Status } from '../domain/status';
export { ActionTypeRegistry, builtInActionTypes } from '../actions/registry';
export type { FinishedRun, WaitForOutcomesOptions } from './outcomes';
export { OutcomeVerdict, type RunOutcome } from '../domain/outcome';
export {
  verifyWebhook,
  signWebhook,
  parseWebhookKeyring,
  WebhookVerificationError,
  SIGNATURE_HEADER,
  DELIVERY_HEADER,
  type WebhookKeyring,
  type VerifiedDelivery,
} from '../webhooks/signature';
