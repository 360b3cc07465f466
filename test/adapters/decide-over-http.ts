/**
 * Adapter tests decide the way reviewers do: a POST to the decision service's JSON API with a
 * granted, signed link (what the worker mails), not an Update sent around the service.
 */
import { getStateQuery } from '../../workflows/messages';
import { signLink, type RunningService } from '../http/service';
import { eventually, type Harness } from '../support/harness';

export type HttpDecision =
  { kind: 'approve' } | { kind: 'reject'; comment: string } | { kind: 'approve_with_edits'; editedParams: Record<string, unknown> };

/** Waits until the run awaits approval, then decides through `POST /api/decisions/<token>` as `reviewer`. */
export async function decideOverHttp(
  h: Harness,
  service: RunningService,
  workflowId: string,
  reviewer: string,
  decision: HttpDecision,
): Promise<void> {
  const handle = h.client.workflow.getHandle(workflowId);
  const state = await eventually(async () => {
    const s = await handle.query(getStateQuery);
    return s.status === 'awaiting_approval' ? s : undefined;
  });
  const token = signLink(h, { wf: workflowId, round: state.round, sub: reviewer, role: 'approver' });
  const response = await fetch(`${service.url}/api/decisions/${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...decision, paramsHash: state.paramsHash }),
  });
  if (response.status !== 200) throw new Error(`decision API answered ${response.status}: ${await response.text()}`);
}
