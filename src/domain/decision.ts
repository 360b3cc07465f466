/**
 * A reviewer's decision as the workflow receives it. The decision service signs every decision
 * (Ed25519) because Temporal's Web UI and CLI can send updates and signals too: the workflow
 * trusts a decision for its signature, never for having arrived.
 */
import { z } from 'zod';
import { CredentialSchema } from './credential';
import { SubjectIdSchema } from './subject';

export const DecisionKind = {
  approve: 'approve',
  reject: 'reject',
  approveWithEdits: 'approve_with_edits',
  requestChanges: 'request_changes',
  escalate: 'escalate',
  delegate: 'delegate',
} as const;
export type DecisionKind = (typeof DecisionKind)[keyof typeof DecisionKind];

export const DecisionKindSchema = z.enum([
  DecisionKind.approve,
  DecisionKind.reject,
  DecisionKind.approveWithEdits,
  DecisionKind.requestChanges,
  DecisionKind.escalate,
  DecisionKind.delegate,
]);

export const ReviewerRefSchema = z.object({
  id: SubjectIdSchema,
  role: z.string().min(1).max(64),
});
export type ReviewerRef = z.infer<typeof ReviewerRefSchema>;

/**
 * The credential a decision was made with. A reviewer's link: the decision service signs for the
 * link's holder and the payload carries the worker's grant for that link. A Slack card: the same,
 * with the grant the worker minted for that reviewer's card (bound to the channel, so a mailed
 * link's grant cannot pass for a click in Slack). An operator: their own key signs, and it is
 * registered to them.
 */
export const DecisionChannel = { link: 'link', slack: 'slack', operator: 'operator' } as const;
export type DecisionChannel = (typeof DecisionChannel)[keyof typeof DecisionChannel];
export const DecisionChannelSchema = z.enum([DecisionChannel.link, DecisionChannel.slack, DecisionChannel.operator]);

/** Channels whose decisions carry a grant the worker issued to the reviewer. */
export function isGrantedChannel(channel: DecisionChannel): channel is 'link' | 'slack' {
  return channel === DecisionChannel.link || channel === DecisionChannel.slack;
}

const SignatureHex = z.string().regex(/^[0-9a-f]{128}$/);

/** The worker's Ed25519 grant of one link or card (see link-grant.ts); its claims are the payload's. */
export const LinkGrantSchema = z.object({
  exp: z.number().int().positive(),
  keyId: z.string().min(1).max(64),
  value: SignatureHex,
});
export type LinkGrant = z.infer<typeof LinkGrantSchema>;

export const DecisionPayloadSchema = z
  .object({
    channel: DecisionChannelSchema,
    /** Present exactly on link and Slack decisions. */
    grant: LinkGrantSchema.optional(),
    /** Unique per decision; also the dedupe key between the update and its signal twin. */
    nonce: z.string().min(8).max(128),
    workflowId: z.string().min(1).max(300),
    round: z.number().int().min(1),
    reviewer: ReviewerRefSchema,
    kind: DecisionKindSchema,
    /** Hash of the exact params version the reviewer saw. */
    paramsHash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    comment: z.string().max(5_000).optional(),
    editedParams: z.record(z.string(), z.unknown()).optional(),
    delegateTo: SubjectIdSchema.optional(),
    decidedAt: z.iso.datetime(),
  })
  .superRefine((d, ctx) => {
    if (isGrantedChannel(d.channel) !== (d.grant !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['grant'],
        message: 'a link or Slack decision carries its grant, and only such a decision does',
      });
    }
    if ((d.kind === 'reject' || d.kind === 'request_changes') && !d.comment?.trim()) {
      ctx.addIssue({ code: 'custom', path: ['comment'], message: `a ${d.kind} needs a reason` });
    }
    if (d.kind === 'approve_with_edits' && !d.editedParams) {
      ctx.addIssue({ code: 'custom', path: ['editedParams'], message: 'approve_with_edits needs editedParams' });
    }
    if (d.kind === 'delegate' && !d.delegateTo) {
      ctx.addIssue({ code: 'custom', path: ['delegateTo'], message: 'delegate needs delegateTo' });
    }
  });
export type DecisionPayload = z.infer<typeof DecisionPayloadSchema>;

export const DecisionSignatureSchema = z.object({
  keyId: z.string().min(1).max(64),
  /** Hex of the 64-byte Ed25519 signature over canonicalJson(payload). */
  value: SignatureHex,
});

export const SignedDecisionSchema = z.object({
  payload: DecisionPayloadSchema,
  signature: DecisionSignatureSchema,
});
export type SignedDecision = z.infer<typeof SignedDecisionSchema>;

/**
 * What the agent (or an operator) sends to pull a proposal back before commit. Accepted only with
 * a credential of `by`: the proposing agent's key, or the operator's own (agent-auth.ts). The
 * credential is optional in the schema so that an unsigned one is refused with that reason.
 */
export const WithdrawalSchema = z.object({
  by: SubjectIdSchema,
  reason: z.string().max(2_000).optional(),
  credential: CredentialSchema.optional(),
});
export type Withdrawal = z.infer<typeof WithdrawalSchema>;

/**
 * A new version of the proposal after a reviewer asked for changes; starts a new round. Signed
 * like a withdrawal, by the proposing agent or an operator.
 */
export const RevisionSchema = z.object({
  /** The proposing agent, or an operator. */
  by: SubjectIdSchema,
  params: z.record(z.string(), z.unknown()),
  summary: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\u0000-\u001f\u007f]*$/)
    .optional(),
  comment: z.string().max(5_000).optional(),
  credential: CredentialSchema.optional(),
});
export type Revision = z.infer<typeof RevisionSchema>;
