/**
 * Every id and idempotency key Gatehouse derives is built here, and only here, so that the same
 * proposal always maps to the same workflow and the same commit key.
 */
import type { Proposal } from './proposal';

/** Readable in the Web UI and stable: the same proposal submitted twice is one workflow. */
export function workflowIdFor(proposal: Pick<Proposal, 'actionType' | 'id'>): string {
  return `${proposal.actionType}:${proposal.id}`;
}

/** Key handed to the target of a commit: one effect per workflow and approval round. */
export function idempotencyKeyFor(workflowId: string, round: number): string {
  return `gatehouse:${workflowId}:r${round}`;
}

/** Update id of a decision: a retried POST of the same link is the same update. */
export function decisionUpdateIdFor(nonce: string): string {
  return `decision:${nonce}`;
}

/** Message-ID of a notification: a retried send can look for it before mailing again. */
export function notificationMessageIdFor(
  workflowId: string,
  round: number,
  purpose: string,
  reviewerId: string,
  domain: string,
): string {
  const safe = `${workflowId}.r${round}.${purpose}.${reviewerId}`.replace(/[^A-Za-z0-9._-]/g, '-');
  return `<${safe}@${domain}>`;
}
