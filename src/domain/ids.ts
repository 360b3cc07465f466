/**
 * Every id and idempotency key Gatehouse derives is built here, and only here, so that the same
 * proposal always maps to the same workflow and the same commit key.
 */
import { canonicalJson, sha256Hex } from './canonical-hash';
import type { DecisionPayload } from './decision';
import type { Proposal } from './proposal';

/**
 * Readable in the Web UI and stable: the same proposal submitted twice is one workflow. The
 * proposal id is the agent's idempotency key across every action type, so the action type is not
 * part of the id: the same id with another action type or other content meets the first run and
 * is a conflict, never a second run. Proposal ids cannot hold ":", so the last ":" separates.
 */
export function workflowIdFor(proposal: { id: Proposal['id']; agent: Pick<Proposal['agent'], 'id'> }): string {
  return `${proposal.agent.id}:${proposal.id}`;
}

/** Key handed to the target of a commit: one effect per workflow and approval round. */
export function idempotencyKeyFor(workflowId: string, round: number): string {
  return `gatehouse:${workflowId}:r${round}`;
}

/**
 * Update id of a decision: the link's nonce plus what was decided. A retried POST of the same
 * decision is the same update (Temporal answers it with the first outcome); a different decision
 * from the same link is a new update, which the workflow refuses as a duplicate of the nonce, and
 * a corrected edit after a refused one is not answered with the old refusal.
 */
export function decisionUpdateIdFor(
  payload: Pick<DecisionPayload, 'nonce' | 'kind' | 'paramsHash' | 'comment' | 'editedParams' | 'delegateTo'>,
): string {
  const { kind, paramsHash, comment, editedParams, delegateTo } = payload;
  return `decision:${payload.nonce}:${sha256Hex(canonicalJson({ kind, paramsHash, comment, editedParams, delegateTo })).slice(0, 16)}`;
}

/** Message-ID of a notification: a retried send can look for it before mailing again. */
export function notificationMessageIdFor(
  workflowId: string,
  round: number,
  purpose: string,
  reviewerId: string,
  domain: string,
  seq?: number,
): string {
  const safe = `${workflowId}.r${round}.${purpose}${seq === undefined ? '' : `-${seq}`}.${reviewerId}`.replace(/[^A-Za-z0-9._-]/g, '-');
  return `<${safe}@${domain}>`;
}

/**
 * Delivery id of a run's outcome webhook: one outcome per workflow id (ids are never reused), so
 * every attempt and every retry of the delivery carries the same id and a receiver dedupes on it.
 */
export function outcomeDeliveryIdFor(workflowId: string): string {
  return `outcome:${workflowId}`;
}

/**
 * Proposal id an agent-framework adapter derives from what identifies the paused call (a tool
 * call id, a graph thread and task): re-running the call after a restart proposes the same id,
 * so it attaches to the first run instead of starting another.
 */
export function adapterProposalIdFor(prefix: string, parts: readonly unknown[]): string {
  return `${prefix}-${sha256Hex(canonicalJson(parts)).slice(0, 40)}`;
}

/**
 * Proposal id of a gated MCP tool call: who asked, which tool, with exactly which arguments. A
 * client that retries the identical call meets the same run (and its result); any change to the
 * arguments is another proposal, so an approval never covers arguments nobody saw.
 */
export function mcpProposalIdFor(call: { caller: string; server: string; tool: string; args: Record<string, unknown> }): string {
  return `mcp-${call.server}-${sha256Hex(canonicalJson(call)).slice(0, 40)}`;
}
