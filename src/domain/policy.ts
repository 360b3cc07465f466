/**
 * Policy for one action type, as a risk owner writes it in `policies/<type>.yaml`, and the
 * reviewer directory. Validated at load; a broken file stops the worker and names the field.
 */
import { z } from 'zod';
import { DurationSchema } from './duration';
import { ActionTypeNameSchema, RequirableEvidenceSchema, SubjectIdSchema } from './proposal';

export const PolicyMode = {
  autonomous: 'autonomous',
  supervised: 'supervised',
  sampled: 'sampled',
  exceptionOnly: 'exception-only',
  deny: 'deny',
} as const;
export type PolicyMode = (typeof PolicyMode)[keyof typeof PolicyMode];

export const RiskLevelSchema = z.enum(['low', 'medium', 'high', 'critical']);
export type RiskLevel = z.infer<typeof RiskLevelSchema>;

/** Where reviewers are reached. */
export const NotifyChannel = { email: 'email', slack: 'slack' } as const;
export type NotifyChannel = (typeof NotifyChannel)[keyof typeof NotifyChannel];
export const NotifyChannelSchema = z.enum([NotifyChannel.email, NotifyChannel.slack]);

const RoleSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a lower-case role name');

/** A field path into the proposal, e.g. `params.amount` or `evidence.confidence`. */
const FieldPathSchema = z
  .string()
  .regex(/^(params|evidence|agent|requestedBy)(\.[A-Za-z0-9_]+)*$/, 'a path starting with params, evidence, agent or requestedBy');

const ComparisonSchema = z.object({
  field: FieldPathSchema,
  op: z.enum(['gt', 'gte', 'lt', 'lte', 'eq', 'neq', 'in', 'notIn', 'matches', 'notMatches', 'exists', 'missing']),
  value: z.unknown().optional(),
});

export type Predicate = z.infer<typeof ComparisonSchema> | { all: Predicate[] } | { any: Predicate[] };

export const PredicateSchema: z.ZodType<Predicate> = z.lazy(() =>
  z.union([
    ComparisonSchema.strict(),
    z.object({ all: z.array(PredicateSchema).min(1) }).strict(),
    z.object({ any: z.array(PredicateSchema).min(1) }).strict(),
  ]),
);

export const ApprovalStepSchema = z.object({
  role: RoleSchema,
  count: z.number().int().min(1).max(10).default(1),
});
export type ApprovalStep = z.infer<typeof ApprovalStepSchema>;

export const TriggerSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'a lower-case trigger id'),
  description: z.string().min(1).max(300),
  when: PredicateSchema,
  /** Approvals this trigger adds on top of the policy's own steps (e.g. a second approver). */
  addSteps: z.array(ApprovalStepSchema).default([]),
});
export type Trigger = z.infer<typeof TriggerSchema>;

export const SlaSchema = z
  .object({
    remindAfter: DurationSchema.optional(),
    /**
     * Remind again this often while the round waits (e.g. daily through a month-long SLA); the
     * first reminder comes at remindAfter, or after this when remindAfter is absent.
     */
    remindEvery: DurationSchema.refine((ms) => ms >= 1_000, 'must be at least 1s (each reminder mails every reviewer)').optional(),
    escalateAfter: DurationSchema.optional(),
    expireAfter: DurationSchema,
    /**
     * How long each mailed link works; never past the round's deadline. Without it, the worker's
     * GATEHOUSE_LINK_TTL_HOURS. A run that waits for weeks sets it to its own length.
     */
    linkTtl: DurationSchema.optional(),
  })
  .refine((s) => !s.remindAfter || s.remindAfter < s.expireAfter, {
    path: ['remindAfter'],
    message: 'must be shorter than expireAfter',
  })
  .refine((s) => !s.remindEvery || s.remindEvery < s.expireAfter, {
    path: ['remindEvery'],
    message: 'must be shorter than expireAfter',
  })
  .refine((s) => !s.escalateAfter || s.escalateAfter < s.expireAfter, {
    path: ['escalateAfter'],
    message: 'must be shorter than expireAfter',
  });
export type Sla = z.infer<typeof SlaSchema>;

export const PolicySchema = z
  .object({
    actionType: ActionTypeNameSchema,
    description: z.string().max(500).optional(),
    risk: RiskLevelSchema,
    mode: z.enum([PolicyMode.autonomous, PolicyMode.supervised, PolicyMode.sampled, PolicyMode.exceptionOnly, PolicyMode.deny]),
    /** Share of runs reviewed in `sampled` mode, 0 < rate ≤ 1. */
    sampleRate: z.number().gt(0).max(1).optional(),
    denyReason: z.string().max(300).optional(),
    triggers: z.array(TriggerSchema).default([]),
    approvals: z
      .object({
        steps: z.array(ApprovalStepSchema).min(1),
        /** `sequential`: a step opens only when the one before it is complete. */
        order: z.enum(['parallel', 'sequential']).default('parallel'),
        /** Rejections that end the round; more than one lets a quorum outvote a dissent. */
        rejectionsToEnd: z.number().int().min(1).default(1),
      })
      .default({ steps: [{ role: 'approver', count: 1 }], order: 'parallel', rejectionsToEnd: 1 }),
    sla: SlaSchema,
    /** What happens when nobody decides in time; approving needs to be written out here. */
    onExpiry: z.enum(['deny', 'approve']).default('deny'),
    escalation: z.array(RoleSchema).default([]),
    evidenceRequired: z.array(RequirableEvidenceSchema).default([]),
    redact: z.array(FieldPathSchema).default([]),
    /** Where reviewers are asked: by mail, and/or with a Slack card to those with a `slackId`. */
    channels: z.array(NotifyChannelSchema).min(1).default([NotifyChannel.email]),
    /**
     * `false`: Slack cards carry no decision buttons, only the signed link to the evidence page
     * (for critical actions, where a decision should follow reading the whole evidence).
     */
    slackButtons: z.boolean().default(true),
    /**
     * Destinations this action type's executor may reach besides the configuration's
     * GATEHOUSE_EGRESS_ALLOW (`host[:port]`, `*.domain`, `address[:port]` or `network/prefix`).
     */
    egress: z.array(z.string().min(1).max(300)).max(100).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.mode === 'sampled' && p.sampleRate === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sampleRate'], message: 'sampled mode needs a sampleRate' });
    }
    if (p.mode === 'exception-only' && p.triggers.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['triggers'], message: 'exception-only mode needs at least one trigger' });
    }
  });
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

export const ReviewerSchema = z.object({
  id: SubjectIdSchema,
  name: z.string().min(1).max(200),
  email: z.email(),
  roles: z.array(RoleSchema).min(1),
  /**
   * The person's Slack user id. The only way a Slack user is taken to be a reviewer: a click is
   * mapped through this field, never through a Slack name or e-mail.
   */
  slackId: z
    .string()
    .regex(/^[UW][A-Z0-9]{2,30}$/, 'a Slack user id (U… or W…)')
    .optional(),
});
export type Reviewer = z.infer<typeof ReviewerSchema>;

export const ReviewerDirectorySchema = z
  .object({ people: z.array(ReviewerSchema).min(1) })
  .strict()
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    const slackIds = new Set<string>();
    d.people.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['people', i, 'id'], message: `duplicate id "${p.id}"` });
      seen.add(p.id);
      // Two people on one Slack account would let one click decide as either.
      if (p.slackId && slackIds.has(p.slackId))
        ctx.addIssue({ code: 'custom', path: ['people', i, 'slackId'], message: `duplicate slackId "${p.slackId}"` });
      if (p.slackId) slackIds.add(p.slackId);
    });
  });
export type ReviewerDirectory = z.infer<typeof ReviewerDirectorySchema>;
