/**
 * What an agent's service learns when a run ends: the body of the outcome webhook, what
 * `waitForOutcomes` yields and what the framework adapters hand back to the model. Built from the
 * final state by one pure function, so the workflow (webhook) and the client (waits) agree.
 */
import { z } from 'zod';
import { outcomeDeliveryIdFor } from './ids';
import type { ApprovalState } from './state';
import { Status, StatusSchema } from './status';

/** The three things an agent can do next, read from the final status. */
export const OutcomeVerdict = {
  /** The action was executed (and verified): the commit record says what happened. */
  done: 'done',
  /** Nothing was executed: denied, rejected, expired, withdrawn, or the commit refused. */
  notDone: 'not_done',
  /** The commit ran but its effect is not certain (rolled back, or an operator must look). */
  uncertain: 'uncertain',
} as const;
export type OutcomeVerdict = (typeof OutcomeVerdict)[keyof typeof OutcomeVerdict];

export const RunOutcomeSchema = z.object({
  /** The same for every delivery attempt of this run's outcome: receivers dedupe on it. */
  deliveryId: z.string(),
  event: z.literal('run.finished'),
  workflowId: z.string(),
  proposalId: z.string(),
  agentId: z.string(),
  actionType: z.string(),
  status: StatusSchema,
  verdict: z.enum(OutcomeVerdict),
  /** Why it ended so: the rejecting reviewer and comment, the policy's denial, the failure. */
  reason: z.string().optional(),
  /** The params executed, when a reviewer or a revision changed them from the proposal's. */
  editedParams: z.record(z.string(), z.unknown()).optional(),
  /** The executor's commit record: the tool's result for the agent. */
  commit: z.record(z.string(), z.unknown()).optional(),
  idempotencyKey: z.string().optional(),
  /** Workflow time at which the run finished (ISO). */
  finishedAt: z.string(),
});
export type RunOutcome = z.infer<typeof RunOutcomeSchema>;

function verdictOf(status: Status): OutcomeVerdict {
  switch (status) {
    case Status.succeeded:
      return OutcomeVerdict.done;
    case Status.rolledBack:
    case Status.needsAttention:
      return OutcomeVerdict.uncertain;
    case Status.denied:
    case Status.rejected:
    case Status.expired:
    case Status.withdrawn:
    case Status.failed:
      return OutcomeVerdict.notDone;
    case Status.proposed:
    case Status.evaluating:
    case Status.autoApproved:
    case Status.awaitingApproval:
    case Status.changesRequested:
    case Status.approved:
    case Status.committing:
    case Status.verifying:
      // Not an end: callers pass final states only; treat as nothing done rather than guess.
      return OutcomeVerdict.notDone;
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

/** The outcome of a finished run, as its webhook carries it. */
export function outcomeOf(state: ApprovalState, finishedAt: string): RunOutcome {
  const { proposal, execution } = state;
  const reason = state.outcomeReason ?? execution?.error;
  return {
    deliveryId: outcomeDeliveryIdFor(state.workflowId),
    event: 'run.finished',
    workflowId: state.workflowId,
    proposalId: proposal.id,
    agentId: proposal.agent.id,
    actionType: proposal.actionType,
    status: state.status,
    verdict: verdictOf(state.status),
    ...(reason ? { reason } : {}),
    // A compacted result has left the params out; the edit is then not repeated here.
    ...(state.originalParams && !state.compacted ? { editedParams: proposal.params } : {}),
    ...(execution?.commit ? { commit: execution.commit } : {}),
    ...(execution ? { idempotencyKey: execution.idempotencyKey } : {}),
    finishedAt,
  };
}
