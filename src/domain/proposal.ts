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

/**
 * Evidence too large to travel in the proposal (a log, a dump, a recording), passed by reference:
 * where it is and the SHA-256 of its bytes, so a reviewer who downloads it can tell it is the
 * file the agent meant. Gatehouse never fetches it; reviewers see the address as text.
 */
export const AttachmentSchema = z.object({
  title: oneLine(300),
  url: z.url({ protocol: /^https?$/ }).max(2000),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the bytes, 64 lowercase hex characters'),
  bytes: z.number().int().min(0).optional(),
  mediaType: oneLine(200).optional(),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

/** One check the agent ran against a written policy (tone, PII, refund rules...) and its result. */
export const PolicyCheckSchema = z.object({
  check: oneLine(200),
  outcome: z.enum(['passed', 'flagged']),
  note: oneLine(500).optional(),
});
export type PolicyCheck = z.infer<typeof PolicyCheckSchema>;

/**
 * The evidence pack: what makes a decision take 10–30 seconds instead of a meeting. Besides the
 * general fields, one field per item of the seed's decision matrix, so a policy can require
 * exactly what its reviewers need (policies/*.yaml, `evidenceRequired`).
 */
export const EvidenceSchema = z.object({
  /** Why: for a ticket the classification rationale, for access the justification. */
  rationale: z.string().max(10_000).optional(),
  sources: z.array(SourceSchema).max(50).optional(),
  /** Large evidence by reference (hash + URL), never fetched by Gatehouse. */
  attachments: z.array(AttachmentSchema).max(20).optional(),
  confidence: z.number().min(0).max(1).optional(),
  /** What the recipient will see: for an email, the draft. */
  preview: z.string().max(50_000).optional(),
  diff: z.string().max(50_000).optional(),
  preconditions: z.record(z.string(), z.unknown()).optional(),
  rollbackPlan: z.string().max(10_000).optional(),
  riskNotes: z.string().max(10_000).optional(),
  piiDetected: z.boolean().optional(),
  /** email: who the customer is, their history and open cases. */
  customerContext: z.string().max(10_000).optional(),
  /** email and payment: the policy checks (flags) the agent ran and what each found. */
  policyChecks: z.array(PolicyCheckSchema).max(50).optional(),
  /** ticket: the fields the agent extracted from the source text. */
  extractedFields: z.record(z.string(), z.unknown()).optional(),
  /** access: where the request came from (ticket, form, chat) and who made it. */
  requestSource: z.string().max(2_000).optional(),
  /** access: why this role is the least privilege that covers the need. */
  leastPrivilege: z.string().max(10_000).optional(),
  /** payment: the invoice the refund or payment settles. */
  invoice: z.string().max(10_000).optional(),
  /** payment: how the payee (vendor or customer account) was validated. */
  vendorValidation: z.string().max(10_000).optional(),
  /** payment: the reconciliation summary (what was paid, what is owed). */
  reconciliation: z.string().max(10_000).optional(),
  /** deploy: the tests that ran against the change and their results. */
  tests: z.string().max(50_000).optional(),
  /** deploy: the agent's risk score, 0 (none) to 1 (certain harm). */
  riskScore: z.number().min(0).max(1).optional(),
  /** deploy: what the change touches and who notices if it goes wrong. */
  impactAnalysis: z.string().max(10_000).optional(),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

/** The evidence fields a policy may require (`evidenceRequired`); `piiDetected` is a flag, not evidence. */
export const RequirableEvidenceSchema = z.enum([
  'rationale',
  'sources',
  'attachments',
  'confidence',
  'preview',
  'diff',
  'preconditions',
  'rollbackPlan',
  'riskNotes',
  'customerContext',
  'policyChecks',
  'extractedFields',
  'requestSource',
  'leastPrivilege',
  'invoice',
  'vendorValidation',
  'reconciliation',
  'tests',
  'riskScore',
  'impactAnalysis',
]);
export type RequirableEvidence = z.infer<typeof RequirableEvidenceSchema>;

/** Whether a required evidence field is there: blank text and empty lists or maps count as missing. */
export function hasEvidence(evidence: Evidence, field: RequirableEvidence): boolean {
  const value: unknown = evidence[field];
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

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
