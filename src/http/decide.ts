/**
 * Turning a reviewer's click into a signed decision on its workflow.
 *
 * Who decides, on which run and round, comes from the verified link; the nonce is the link's, so
 * the Update id (derived from it) is the same for a retried or double-clicked POST and Temporal
 * answers it once. If no worker answers in time, `submitDecision` sends the same signed decision as
 * the signal twin, which the server stores durably: a click is never lost while workers are down.
 *
 * An edit and a delegation need the run's state first (the redacted fields to put back, the people
 * one may delegate to), so they are read with the page's query and need a worker to answer it; a
 * 503 then means nothing was decided.
 */
import type { Client } from '@temporalio/client';
import { ZodError } from 'zod';
import { DecisionRefusedError } from '../client/errors';
import { submitDecision } from '../client/submit-decision';
import { DecisionKind, type DecisionPayload, type SignedDecision } from '../domain/decision';
import { DecisionRefusal } from '../domain/errors';
import { delegateCandidates } from '../domain/standing';
import type { ApprovalState } from '../domain/state';
import type { DecisionSigner } from '../links/decision-signer';
import type { GrantChannel } from '../domain/link-grant';
import { linkCredential, LinkWithoutGrantError } from '../links/link-issuer';
import type { LinkClaims } from '../links/token';
import type { Logger } from '../observability/logger';
import type { DecisionAccepted } from '../../workflows/messages';
import type { ReviewerDecision, ReviewerDecisionKind } from './decision-input';
import { mergeEdit } from './edited-params';
import { BadRequestError, LinkNotUsableError } from './errors';
import { loadRunState } from './run-state';
import { standingOf, type Standing } from './standing';

/** Who a delegated decision went to, for the result page. */
export interface DelegatedTo {
  id: string;
  name: string;
}

/** What happened to a decision. */
export type DecisionResult =
  | ({ applied: true; kind: ReviewerDecisionKind; delegatedTo?: DelegatedTo } & DecisionAccepted)
  /** Stored as a signal; the workflow applies it (if still valid) when a worker runs. */
  | { applied: false; queued: true; kind: ReviewerDecisionKind; delegatedTo?: DelegatedTo };

export interface DecideDeps {
  client: Client;
  signer: DecisionSigner;
  /** How long to wait for a worker before falling back to the signal. */
  timeoutMs: number;
  /** How long to wait for the run's state, for decisions that need it. */
  queryTimeoutMs: number;
  /** Where the grant in the claims was issued for (default `link`); recorded as the decision's channel. */
  channel?: GrantChannel;
}

/**
 * @throws DecisionRefusedError when the workflow refuses (its code says why)
 * @throws RunNotFoundError when the run does not exist
 * @throws {@link BadRequestError} when the decision cannot be signed as sent, or the edited
 * version cannot be used (`invalid_edit`, also when the workflow refuses it as invalid)
 * @throws {@link LinkNotUsableError} when an edit or a delegation meets a run that cannot take it
 */
export async function decide(deps: DecideDeps, claims: LinkClaims, decision: ReviewerDecision, now: Date): Promise<DecisionResult> {
  const details = await detailsFor(deps, claims, decision);
  const payload: DecisionPayload = {
    ...credentialOf(claims, deps.channel ?? 'link'),
    nonce: claims.nonce,
    workflowId: claims.wf,
    round: claims.round,
    reviewer: { id: claims.sub, role: claims.role },
    kind: decision.kind,
    paramsHash: decision.paramsHash,
    decidedAt: now.toISOString(),
    ...(decision.comment !== undefined ? { comment: decision.comment } : {}),
    ...(details.editedParams ? { editedParams: details.editedParams } : {}),
    ...(details.delegatedTo ? { delegateTo: details.delegatedTo.id } : {}),
  };
  let signed: SignedDecision;
  try {
    signed = deps.signer.sign(payload);
  } catch (err) {
    // The input schemas already enforce what the payload schema does; this is the backstop.
    if (err instanceof ZodError) throw new BadRequestError('bad_form', err.issues.map((i) => i.message).join('; '), { cause: err });
    throw err;
  }
  let delivery: Awaited<ReturnType<typeof submitDecision>>;
  try {
    delivery = await submitDecision(deps.client, signed, { timeoutMs: deps.timeoutMs });
  } catch (err) {
    // The workflow refuses an edited version that fails the action's schema or that its policy
    // denies with its generic `invalid`: that is the reviewer's input to correct, not a conflict.
    if (decision.kind === DecisionKind.approveWithEdits && err instanceof DecisionRefusedError && err.code === DecisionRefusal.invalid) {
      throw new BadRequestError('invalid_edit', err.message, { cause: err });
    }
    throw err;
  }
  const delegated = details.delegatedTo ? { delegatedTo: details.delegatedTo } : {};
  return delivery.applied
    ? { applied: true, kind: decision.kind, ...delegated, ...delivery.result }
    : { applied: false, queued: true, kind: decision.kind, ...delegated };
}

/** The link's grant, without which the workflow accepts no decision from it. */
function credentialOf(claims: LinkClaims, channel: GrantChannel): Pick<DecisionPayload, 'channel' | 'grant'> {
  try {
    return linkCredential(claims, channel);
  } catch (err) {
    if (err instanceof LinkWithoutGrantError) throw new LinkNotUsableError(DecisionRefusal.badSignature, err.message);
    throw err;
  }
}

async function detailsFor(
  deps: DecideDeps,
  claims: LinkClaims,
  decision: ReviewerDecision,
): Promise<{ editedParams?: Record<string, unknown>; delegatedTo?: DelegatedTo }> {
  switch (decision.kind) {
    case 'approve_with_edits': {
      const { state, standing } = await decidableRun(deps, claims, decision.paramsHash);
      if (!standing.approve) throw new LinkNotUsableError(DecisionRefusal.slotFilled, `the ${claims.role} approvals are already complete`);
      return { editedParams: mergeEdit(state, decision.editedParams) };
    }
    case 'delegate': {
      const { state } = await decidableRun(deps, claims, decision.paramsHash);
      const to = delegateCandidates(state, { id: claims.sub, role: claims.role }).find((r) => r.id === decision.delegateTo);
      if (!to) throw new BadRequestError('bad_form', 'delegateTo: not one of the reviewers you can delegate to in this round');
      return { delegatedTo: { id: to.id, name: to.name } };
    }
    case 'approve':
    case 'reject':
    case 'request_changes':
    case 'escalate':
      return {};
    default: {
      const unreachable: never = decision;
      throw new TypeError(`unknown decision ${String(unreachable)}`);
    }
  }
}

/** The run's state, refused with the workflow's own codes when the link cannot decide on it now. */
async function decidableRun(
  deps: DecideDeps,
  claims: LinkClaims,
  paramsHash: string,
): Promise<{ state: ApprovalState; standing: Extract<Standing, { open: true }> }> {
  const state = await loadRunState(deps.client, claims.wf, deps.queryTimeoutMs);
  const standing = standingOf(state, claims);
  if (!standing.open) throw new LinkNotUsableError(standing.code, standing.reason);
  // The redacted fields put back must be those of the version the reviewer edited.
  if (paramsHash !== state.paramsHash)
    throw new LinkNotUsableError(DecisionRefusal.paramsChanged, 'the decision was made on another version of the params');
  return { state, standing };
}

/**
 * The decision service's log line of a decision, the same for every channel; `extra` adds what
 * that channel knows (the page's fetch metadata tells a person's click from an automated POST).
 */
export function logDecision(
  logger: Logger,
  claims: LinkClaims,
  result: DecisionResult,
  channel: string,
  extra: Record<string, unknown> = {},
): void {
  logger.info(
    {
      workflowId: claims.wf,
      round: claims.round,
      reviewer: claims.sub,
      role: claims.role,
      kind: result.kind,
      applied: result.applied,
      channel,
      ...extra,
    },
    result.applied ? 'decision applied' : 'decision queued as signal',
  );
}
