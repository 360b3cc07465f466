/**
 * What a gated tool call returns to the model, the same for every framework: the commit record
 * when the action was executed, the reason when it was not. The tool itself never acts.
 */
import type { RunOutcome } from '../domain/outcome';

export interface GatedToolResult {
  executed: boolean;
  status: RunOutcome['status'];
  /** The executor's commit record (what Gatehouse did), when executed. */
  commit?: Record<string, unknown>;
  /** The params executed, when a reviewer changed the model's arguments. */
  editedParams?: Record<string, unknown>;
  reason?: string;
  workflowId: string;
}

export function toolResultOf(outcome: RunOutcome): GatedToolResult {
  return {
    executed: outcome.verdict === 'done',
    status: outcome.status,
    ...(outcome.commit ? { commit: outcome.commit } : {}),
    ...(outcome.editedParams ? { editedParams: outcome.editedParams } : {}),
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    workflowId: outcome.workflowId,
  };
}

/** The text a model reads when its call was not executed. */
export function refusalText(outcome: RunOutcome): string {
  const why = outcome.reason ? `: ${outcome.reason}` : '';
  return outcome.verdict === 'uncertain'
    ? `The action's effect is uncertain (${outcome.status})${why}. An operator is looking at it; do not retry it.`
    : `The action was not executed (${outcome.status})${why}.`;
}
