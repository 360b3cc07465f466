/**
 * The state of one approval run: what the `getState` query returns and what the audit record is
 * built from. Only the workflow changes it, by applying run events (run-event.ts) to the pure
 * reducer in workflows/approval-state.
 */
import { z } from 'zod';
import { DecisionChannelSchema, DecisionKindSchema, SignedDecisionSchema } from './decision';
import { PolicyEvaluationSchema } from './evaluation';
import { ReviewerSchema } from './policy';
import { StatusSchema } from './status';
import { ProposalSchema } from './proposal';
import { RunEventTypeSchema } from './run-event';

export const DecisionRecordSchema = z.object({
  nonce: z.string(),
  round: z.number(),
  reviewerId: z.string(),
  role: z.string(),
  kind: DecisionKindSchema,
  comment: z.string().optional(),
  delegateTo: z.string().optional(),
  decidedAt: z.string(),
  /** Workflow time at which the decision was applied. */
  recordedAt: z.string(),
  /** The slot an approval filled (role of the step), when it filled one. */
  filledRole: z.string().optional(),
  /** The credential that made it; absent in runs recorded before channels were named. */
  channel: DecisionChannelSchema.optional(),
  /**
   * The signed decision itself, kept for approvals: the commit checks these signatures against
   * what it executes, independently of the rest of this state.
   */
  signed: SignedDecisionSchema.optional(),
});
export type DecisionRecord = z.infer<typeof DecisionRecordSchema>;

export const TransitionSchema = z.object({
  at: z.string(),
  from: StatusSchema,
  to: StatusSchema,
  /** What happened; absent only in states recorded before events were named (state version 1). */
  event: RunEventTypeSchema.optional(),
  note: z.string().optional(),
});
export type Transition = z.infer<typeof TransitionSchema>;

export const ExecutionRecordSchema = z.object({
  idempotencyKey: z.string(),
  executedHash: z.string(),
  commit: z.record(z.string(), z.unknown()).optional(),
  verification: z.object({ ok: z.boolean(), observed: z.unknown() }).optional(),
  rollback: z.record(z.string(), z.unknown()).optional(),
  error: z.string().optional(),
});
export type ExecutionRecord = z.infer<typeof ExecutionRecordSchema>;

/** A Slack card the worker posted for this run: where it is, so every later change can edit it. */
export const SlackCardRecordSchema = z.object({
  round: z.number().int().min(1),
  reviewerId: z.string(),
  role: z.string(),
  channel: z.string(),
  ts: z.string(),
});
export type SlackCardRecord = z.infer<typeof SlackCardRecordSchema>;

export const UndeliverableNoticeSchema = z.object({
  at: z.string(),
  round: z.number().int(),
  /** The notice's purpose (review_requested, reminder, ...). */
  purpose: z.string(),
  reviewerId: z.string(),
  reason: z.string(),
});
export type UndeliverableNotice = z.infer<typeof UndeliverableNoticeSchema>;

export { STATE_VERSION } from './state-version';

export const ApprovalStateSchema = z.object({
  stateVersion: z.number().int().optional(),
  workflowId: z.string(),
  proposal: ProposalSchema,
  status: StatusSchema,
  round: z.number().int().min(1),
  paramsHash: z.string(),
  evaluation: PolicyEvaluationSchema.optional(),
  /** When the current round expires (ISO). */
  deadline: z.string().optional(),
  /** How many roles of the escalation chain have been brought in this round. */
  escalationLevel: z.number().int().min(0),
  /** People a reviewer delegated to in this round, with the role they stand in for. */
  delegates: z.array(z.object({ reviewer: ReviewerSchema, role: z.string(), by: z.string() })),
  decisions: z.array(DecisionRecordSchema),
  transitions: z.array(TransitionSchema),
  outcomeReason: z.string().optional(),
  execution: ExecutionRecordSchema.optional(),
  /** Preconditions found changed after an approval, which sent the run back for re-approval. */
  preconditionDrift: z.array(z.object({ field: z.string(), expected: z.unknown(), actual: z.unknown() })).optional(),
  /** The first version of the params, kept once they changed (a reviewer's edit or the agent's revision). */
  originalParams: z.record(z.string(), z.unknown()).optional(),
  /** Notices the mail server refused for good, per person; absent while every mail got through. */
  undeliverable: z.array(UndeliverableNoticeSchema).optional(),
  /** Slack cards posted for the run; absent while none was. */
  slackCards: z.array(SlackCardRecordSchema).optional(),
  /**
   * Set on a run's result only, when the whole state was too large to return: the params,
   * evidence and signed copies are left out (see workflows/run-result.ts); the audit keeps them.
   */
  compacted: z.boolean().optional(),
  /** Fresh links reviewers asked for and were mailed (the rate limit reads it). */
  freshLinks: z.array(z.object({ at: z.string(), reviewerId: z.string(), role: z.string(), round: z.number().int() })).optional(),
});
export type ApprovalState = z.infer<typeof ApprovalStateSchema>;
