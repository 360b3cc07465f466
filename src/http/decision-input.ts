/**
 * What a reviewer may send: the decision form and the JSON API body, parsed with zod at the trust
 * boundary. Who decides, on which run and round, comes from the signed link, never from the body;
 * the body only says what was decided and on which params version the reviewer saw.
 */
import { z } from 'zod';
import { DecisionKind } from '../domain/decision';
import { BadRequestError } from './errors';

/**
 * Decisions offered on the page and the API. Approving with edits and delegating need more than a
 * button (an params editor, a reviewer picker); until then they go through the CLI.
 */
export const ReviewerDecisionKindSchema = z.enum([DecisionKind.approve, DecisionKind.reject, DecisionKind.requestChanges, DecisionKind.escalate]);
export type ReviewerDecisionKind = z.infer<typeof ReviewerDecisionKindSchema>;

const ParamsHashSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be the params hash shown on the page');

/** A comment is optional; an empty textarea means no comment. */
const CommentSchema = z
  .string()
  .max(5_000, 'must be at most 5000 characters')
  .transform((c) => c.trim())
  .optional()
  .transform((c) => (c ? c : undefined));

const DecisionFieldsSchema = z.object({
  kind: ReviewerDecisionKindSchema,
  comment: CommentSchema,
  paramsHash: ParamsHashSchema,
});

const requireReason = (d: { kind: ReviewerDecisionKind; comment?: string | undefined }, ctx: z.RefinementCtx) => {
  if (d.kind === 'reject' && !d.comment) {
    ctx.addIssue({ code: 'custom', path: ['comment'], message: 'a rejection needs a reason' });
  }
  if (d.kind === 'request_changes' && !d.comment) {
    ctx.addIssue({ code: 'custom', path: ['comment'], message: 'a request for changes must say what to change' });
  }
};

/** The decision the reviewer asked for, after parsing. */
export interface ReviewerDecision {
  kind: ReviewerDecisionKind;
  comment?: string;
  /** The params version the reviewer saw; the workflow refuses the decision if it moved on. */
  paramsHash: string;
}

/** The urlencoded decision form; `csrf` is checked separately, before this parse. */
export const DecisionFormSchema = DecisionFieldsSchema.extend({ csrf: z.string().max(200) }).strict().superRefine(requireReason);

/** The JSON API body; unknown keys are refused so a typo (`coment`) is not silently dropped. */
export const DecisionJsonSchema = DecisionFieldsSchema.strict().superRefine(requireReason);

/**
 * @throws {@link BadRequestError} `bad_form`, naming the fields that are wrong (never their values).
 */
export function parseDecision(schema: typeof DecisionFormSchema | typeof DecisionJsonSchema, body: unknown): ReviewerDecision {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new BadRequestError('bad_form', detail);
  }
  const { kind, comment, paramsHash } = parsed.data;
  return { kind, paramsHash, ...(comment !== undefined ? { comment } : {}) };
}
