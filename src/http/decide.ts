/**
 * Turning a reviewer's click into a signed decision on its workflow.
 *
 * Who decides, on which run and round, comes from the verified link; the nonce is the link's, so
 * the Update id (derived from it) is the same for a retried or double-clicked POST and Temporal
 * answers it once. If no worker answers in time, `submitDecision` sends the same signed decision as
 * the signal twin, which the server stores durably: a click is never lost while workers are down.
 */
import type { Client } from '@temporalio/client';
import { ZodError } from 'zod';
import { submitDecision } from '../client/submit-decision';
import type { DecisionPayload, SignedDecision } from '../domain/decision';
import type { DecisionSigner } from '../links/decision-signer';
import type { LinkClaims } from '../links/token';
import type { DecisionAccepted } from '../../workflows/messages';
import type { ReviewerDecision, ReviewerDecisionKind } from './decision-input';
import { BadRequestError } from './errors';

/** What happened to a decision. */
export type DecisionResult =
  | ({ applied: true; kind: ReviewerDecisionKind } & DecisionAccepted)
  /** Stored as a signal; the workflow applies it (if still valid) when a worker runs. */
  | { applied: false; queued: true; kind: ReviewerDecisionKind };

export interface DecideDeps {
  client: Client;
  signer: DecisionSigner;
  /** How long to wait for a worker before falling back to the signal. */
  timeoutMs: number;
}

/**
 * @throws DecisionRefusedError when the workflow refuses (its code says why)
 * @throws RunNotFoundError when the run does not exist
 * @throws {@link BadRequestError} when the decision cannot be signed as sent
 */
export async function decide(deps: DecideDeps, claims: LinkClaims, decision: ReviewerDecision, now: Date): Promise<DecisionResult> {
  const payload: DecisionPayload = {
    nonce: claims.nonce,
    workflowId: claims.wf,
    round: claims.round,
    reviewer: { id: claims.sub, role: claims.role },
    kind: decision.kind,
    paramsHash: decision.paramsHash,
    decidedAt: now.toISOString(),
    ...(decision.comment !== undefined ? { comment: decision.comment } : {}),
  };
  let signed: SignedDecision;
  try {
    signed = deps.signer.sign(payload);
  } catch (err) {
    // The input schemas already enforce what the payload schema does; this is the backstop.
    if (err instanceof ZodError) throw new BadRequestError('bad_form', err.issues.map((i) => i.message).join('; '), { cause: err });
    throw err;
  }
  const delivery = await submitDecision(deps.client, signed, { timeoutMs: deps.timeoutMs });
  return delivery.applied
    ? { applied: true, kind: decision.kind, ...delivery.result }
    : { applied: false, queued: true, kind: decision.kind };
}
