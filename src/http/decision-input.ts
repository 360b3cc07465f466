/**
 * What a reviewer may send: the decision form and the JSON API body, parsed with zod at the trust
 * boundary. Who decides, on which run and round, comes from the signed link, never from the body;
 * the body only says what was decided, on which params version the reviewer saw, and for an edit
 * or a delegation the new version or the delegate.
 */
import { z } from 'zod';
import { DecisionKindSchema } from '../domain/decision';
import { SubjectIdSchema } from '../domain/proposal';
import { checkEditedObject, parseEditorText } from './edited-params';
import { BadRequestError } from './errors';

/** Every decision the workflow knows is offered on the page and the API: the domain's list. */
export const ReviewerDecisionKindSchema = DecisionKindSchema;
export type ReviewerDecisionKind = z.infer<typeof ReviewerDecisionKindSchema>;

const ParamsHashSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be the params hash shown on the page');

/** A comment is optional; an empty textarea means no comment. */
const CommentSchema = z
  .string()
  .max(5_000, 'must be at most 5000 characters')
  .transform((c) => c.trim())
  .optional()
  .transform((c) => (c ? c : undefined));

/** An empty select or field is "not given". */
const DelegateToSchema = z
  .string()
  .trim()
  .optional()
  .transform((s) => (s ? s : undefined))
  .pipe(SubjectIdSchema.optional());

const DecisionFieldsSchema = z.object({
  kind: ReviewerDecisionKindSchema,
  comment: CommentSchema,
  paramsHash: ParamsHashSchema,
  delegateTo: DelegateToSchema,
});

type Fields = { kind: ReviewerDecisionKind; comment?: string | undefined; editedParams?: unknown; delegateTo?: string | undefined };

const requireFields = (d: Fields, ctx: z.RefinementCtx) => {
  if (d.kind === 'reject' && !d.comment) {
    ctx.addIssue({ code: 'custom', path: ['comment'], message: 'a rejection needs a reason' });
  }
  if (d.kind === 'request_changes' && !d.comment) {
    ctx.addIssue({ code: 'custom', path: ['comment'], message: 'a request for changes must say what to change' });
  }
  if (d.kind === 'approve_with_edits' && d.editedParams === undefined) {
    ctx.addIssue({ code: 'custom', path: ['editedParams'], message: 'approving with edits needs the edited version' });
  }
  if (d.kind !== 'approve_with_edits' && d.editedParams !== undefined) {
    // Never dropped silently: a reviewer who edited and pressed Approve must not approve the old version.
    ctx.addIssue({ code: 'custom', path: ['editedParams'], message: 'an edited version goes only with approve_with_edits' });
  }
  if (d.kind === 'delegate' && !d.delegateTo) {
    ctx.addIssue({ code: 'custom', path: ['delegateTo'], message: 'choose whom to delegate to' });
  }
  if (d.kind !== 'delegate' && d.delegateTo) {
    ctx.addIssue({ code: 'custom', path: ['delegateTo'], message: 'a delegate goes only with delegate' });
  }
};

/**
 * The urlencoded decision form; `csrf` is checked separately, before this parse. The edited version
 * is the editor's text; an empty editor counts as none.
 */
export const DecisionFormSchema = DecisionFieldsSchema.extend({
  csrf: z.string().max(200),
  editedParams: z
    .string()
    .optional()
    .transform((s) => (s && s.trim() !== '' ? s : undefined)),
})
  .strict()
  .superRefine(requireFields);

/** The JSON API body; unknown keys are refused so a typo (`coment`) is not silently dropped. */
export const DecisionJsonSchema = DecisionFieldsSchema.extend({
  editedParams: z.record(z.string(), z.unknown(), { error: 'must be a JSON object holding every parameter' }).optional(),
})
  .strict()
  .superRefine(requireFields);

interface DecisionBase {
  comment?: string;
  /** The params version the reviewer saw; the workflow refuses the decision if it moved on. */
  paramsHash: string;
}

/** The decision the reviewer asked for, after parsing. */
export type ReviewerDecision =
  | (DecisionBase & { kind: Exclude<ReviewerDecisionKind, 'approve_with_edits' | 'delegate'> })
  /** The reviewer's version as sent: redacted fields are merged in later, from the run's state. */
  | (DecisionBase & { kind: 'approve_with_edits'; editedParams: Record<string, unknown> })
  | (DecisionBase & { kind: 'delegate'; delegateTo: string });

/**
 * @throws {@link BadRequestError} `bad_form`, naming the fields that are wrong (never their values);
 * `invalid_edit` when the edited version is not a JSON object or is too large.
 */
export function parseDecisionForm(body: unknown): ReviewerDecision {
  const data = parseWith(DecisionFormSchema, body);
  return decisionOf(data, data.editedParams === undefined ? undefined : parseEditorText(data.editedParams));
}

/** @throws {@link BadRequestError} as {@link parseDecisionForm}. */
export function parseDecisionJson(body: unknown): ReviewerDecision {
  const data = parseWith(DecisionJsonSchema, body);
  return decisionOf(data, data.editedParams === undefined ? undefined : checkEditedObject(data.editedParams));
}

function parseWith<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new BadRequestError('bad_form', detail);
  }
  return parsed.data;
}

function decisionOf(
  data: { kind: ReviewerDecisionKind; comment?: string | undefined; paramsHash: string; delegateTo?: string | undefined },
  editedParams: Record<string, unknown> | undefined,
): ReviewerDecision {
  const base: DecisionBase = { paramsHash: data.paramsHash, ...(data.comment !== undefined ? { comment: data.comment } : {}) };
  switch (data.kind) {
    case 'approve_with_edits':
      // The refinement guarantees both fields for their kinds; the checks only satisfy the compiler.
      if (!editedParams) throw new BadRequestError('bad_form', 'editedParams: approving with edits needs the edited version');
      return { ...base, kind: data.kind, editedParams };
    case 'delegate':
      if (!data.delegateTo) throw new BadRequestError('bad_form', 'delegateTo: choose whom to delegate to');
      return { ...base, kind: data.kind, delegateTo: data.delegateTo };
    case 'approve':
    case 'reject':
    case 'request_changes':
    case 'escalate':
      return { ...base, kind: data.kind };
    default: {
      const unreachable: never = data.kind;
      throw new BadRequestError('bad_form', `kind: unknown decision ${String(unreachable)}`);
    }
  }
}
