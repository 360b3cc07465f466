/**
 * Carries a signed decision to its workflow: as an Update (the caller learns at once whether it
 * was applied) with an id derived from the decision nonce, so a retried request is the same
 * update. When no worker answers in time the same decision is sent as a Signal, which the server
 * stores durably and the workflow deduplicates by nonce: a click is never lost.
 */
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { SignedDecision } from '../domain/decision';
import { DecisionRefusal, FailureType } from '../domain/errors';
import { decisionUpdateIdFor } from '../domain/ids';
import { decideSignal, decideUpdate, type DecisionAccepted } from '../../workflows/messages';
import { DecisionRefusedError, RunNotFoundError } from './errors';
import { isClosedRunError, isGrpcTimeout, retryingUpdateTaskFailure } from './temporal-errors';

export type DecisionDelivery =
  | { applied: true; result: DecisionAccepted }
  /** Recorded durably as a signal; the workflow applies it (if still valid) when a worker runs. */
  | { applied: false; queued: true };

export async function submitDecision(
  client: Client,
  signed: SignedDecision,
  options: { timeoutMs?: number } = {},
): Promise<DecisionDelivery> {
  const handle = client.workflow.getHandle(signed.payload.workflowId);
  const deadline = new Date(Date.now() + (options.timeoutMs ?? 5_000));
  try {
    const result = await client.withDeadline(deadline, () =>
      // The same update id on every attempt: one that was applied after all is not applied twice.
      retryingUpdateTaskFailure(() =>
        handle.executeUpdate(decideUpdate, { args: [signed], updateId: decisionUpdateIdFor(signed.payload) }),
      ),
    );
    return { applied: true, result };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      if (cause instanceof ApplicationFailure && cause.type === FailureType.decisionRefused) {
        const code = typeof cause.details?.[0] === 'string' ? cause.details[0] : DecisionRefusal.invalid;
        throw new DecisionRefusedError(code, cause.message, { cause: err });
      }
      throw err;
    }
    // A finished run answers with a not-found error that names the completion: check that first.
    if (isClosedRunError(err)) {
      throw new DecisionRefusedError(DecisionRefusal.notAwaiting, 'the run has finished; no decision is possible', { cause: err });
    }
    if (err instanceof WorkflowNotFoundError) throw new RunNotFoundError(signed.payload.workflowId, { cause: err });
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcTimeout(err)) {
      await handle.signal(decideSignal, signed);
      return { applied: false, queued: true };
    }
    throw err;
  }
}
