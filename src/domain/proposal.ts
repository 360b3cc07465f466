/**
 * The proposal: what an agent asks Gatehouse to do. It is data only; nothing runs until the
 * workflow has recorded the approvals its policy demands. Everything in it is untrusted input.
 */
import { z } from 'zod';
import { CredentialSchema } from './credential';
import { SubjectIdSchema } from './subject';

export { SubjectIdSchema, type SubjectId } from './subject';

/** One line of text: agent-written, shown to reviewers, so control characters are refused. */
const oneLine = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must be a single line without control characters');

export const PrincipalSchema = z.object({
  id: SubjectIdSchema,
  name: oneLine(200).optional(),
  email: z.email().max(254).optional(),
});
export type Principal = z.infer<typeof PrincipalSchema>;

export const AgentSchema = z.object({
  id: SubjectIdSchema,
  name: oneLine(200),
  runId: oneLine(200).optional(),
  traceId: oneLine(200).optional(),
});
export type Agent = z.infer<typeof AgentSchema>;

export const SourceSchema = z.object({
  title: oneLine(300),
  url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
});

/** The evidence pack: what makes a decision take 10–30 seconds instead of a meeting. */
export const EvidenceSchema = z.object({
  rationale: z.string().max(10_000).optional(),
  sources: z.array(SourceSchema).max(50).optional(),
  confidence: z.number().min(0).max(1).optional(),
  preview: z.string().max(50_000).optional(),
  diff: z.string().max(50_000).optional(),
  preconditions: z.record(z.string(), z.unknown()).optional(),
  rollbackPlan: z.string().max(10_000).optional(),
  riskNotes: z.string().max(10_000).optional(),
  piiDetected: z.boolean().optional(),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

export const ProposalIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits and . _ - only, starting with a letter or digit');

export const ActionTypeNameSchema = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'use dotted lower-case names such as payment.refund');

/**
 * How the agent's service hears that the run ended: a signed POST of the outcome (see
 * src/webhooks/). The URL goes through the worker's webhook allow-list, never straight out.
 */
export const NotifySchema = z.object({
  webhook: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
});
export type Notify = z.infer<typeof NotifySchema>;

export const ProposalSchema = z.object({
  /** Client-chosen idempotency key: the same id submitted twice is one workflow. */
  id: ProposalIdSchema,
  actionType: ActionTypeNameSchema,
  /** The tool-call payload; validated again by the action type's own schema. */
  params: z.record(z.string(), z.unknown()),
  agent: AgentSchema,
  /** The human principal the agent acts for; never allowed to approve this proposal. */
  requestedBy: PrincipalSchema,
  summary: oneLine(200),
  evidence: EvidenceSchema.default({}),
  notify: NotifySchema.optional(),
  /**
   * The agent's Ed25519 signature over the rest of the proposal (src/domain/agent-auth.ts), with
   * a key registered for `agent.id`. Optional here so that an unsigned proposal reaches the policy
   * step and is denied there with a reason, inside a run anyone can see.
   */
  credential: CredentialSchema.optional(),
});
export type Proposal = z.infer<typeof ProposalSchema>;
/** What a caller may pass before defaults are applied. */
export type ProposalInput = z.input<typeof ProposalSchema>;
