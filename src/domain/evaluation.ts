/** The result of evaluating a policy: recorded in history with the policy version that decided. */
import { z } from 'zod';
import { ApprovalStepSchema, NotifyChannelSchema, ReviewerSchema, RiskLevelSchema } from './policy';

export const EvaluationOutcome = {
  autoApprove: 'auto_approve',
  deny: 'deny',
  review: 'review',
} as const;
export type EvaluationOutcome = (typeof EvaluationOutcome)[keyof typeof EvaluationOutcome];

export const FiredTriggerSchema = z.object({ id: z.string(), description: z.string() });
export type FiredTrigger = z.infer<typeof FiredTriggerSchema>;

export const StepRequirementSchema = ApprovalStepSchema.extend({
  /** People who may fill this step: holders of the role, minus the proposer and the agent. */
  eligible: z.array(ReviewerSchema),
});
export type StepRequirement = z.infer<typeof StepRequirementSchema>;

export const PolicyEvaluationSchema = z.object({
  actionType: z.string(),
  policyVersion: z.string(),
  outcome: z.enum([EvaluationOutcome.autoApprove, EvaluationOutcome.deny, EvaluationOutcome.review]),
  reason: z.string(),
  risk: RiskLevelSchema,
  paramsHash: z.string(),
  triggersFired: z.array(FiredTriggerSchema),
  sampling: z
    .object({
      rate: z.number(),
      draw: z.number(),
      picked: z.boolean(),
      /** The worker key the draw was keyed with; absent on runs evaluated before the draw was keyed. */
      keyId: z.string().optional(),
    })
    .optional(),
  steps: z.array(StepRequirementSchema),
  order: z.enum(['parallel', 'sequential']),
  rejectionsToEnd: z.number().int().min(1),
  escalation: z.array(z.object({ role: z.string(), eligible: z.array(ReviewerSchema) })),
  /** People with the `operator` role: told when a run needs attention. */
  operators: z.array(ReviewerSchema),
  sla: z.object({
    remindAfterMs: z.number().optional(),
    /** Absent in runs evaluated before repeated reminders: those remind once. */
    remindEveryMs: z.number().optional(),
    escalateAfterMs: z.number().optional(),
    expireAfterMs: z.number(),
    /** The policy's link lifetime, when it sets one (see SlaSchema.linkTtl). */
    linkTtlMs: z.number().optional(),
  }),
  onExpiry: z.enum(['deny', 'approve']),
  redact: z.array(z.string()),
  /** Where reviewers are asked; absent means by mail only (and in runs evaluated before Slack). */
  channels: z.array(NotifyChannelSchema).optional(),
  /** `false`: Slack cards without decision buttons; absent means with. */
  slackButtons: z.boolean().optional(),
  /**
   * The authenticated agent that asserts `requestedBy`: the requester is the agent's word, checked
   * by nobody else. Absent when the proposal was not authenticated (then the run is denied) and in
   * runs evaluated before agents signed their proposals.
   */
  requesterAssertedBy: z.string().optional(),
  /** The agent key that signed the proposal. */
  agentKeyId: z.string().optional(),
});
export type PolicyEvaluation = z.infer<typeof PolicyEvaluationSchema>;
