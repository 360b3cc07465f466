/**
 * Reading an approval run's state for the decision page. A query needs a worker to answer, so it
 * is bounded in time: a reviewer waiting on a page is told to retry rather than left hanging.
 */
import { QueryNotRegisteredError, ServiceError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { RunNotFoundError } from '../client/errors';
import { isGrpcTimeout, isTemporalUnreachable } from '../client/temporal-errors';
import { ApprovalStateSchema, type ApprovalState } from '../domain/state';
import { getStateQuery } from '../../workflows/messages';
import { RunUnavailableError } from './errors';

/**
 * @throws {@link RunNotFoundError} when no run, or no approval run, has this id.
 * @throws {@link RunUnavailableError} when Temporal or the workers do not answer within `timeoutMs`.
 */
export async function loadRunState(client: Client, workflowId: string, timeoutMs: number): Promise<ApprovalState> {
  let raw: unknown;
  try {
    raw = await client.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(workflowId).query(getStateQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || err instanceof QueryNotRegisteredError) {
      throw new RunNotFoundError(workflowId, { cause: err });
    }
    if (err instanceof ServiceError || isGrpcTimeout(err) || isTemporalUnreachable(err)) throw new RunUnavailableError({ cause: err });
    throw err;
  }
  // A workflow with this id that is not an approval run (another type in the namespace) has no
  // approval state to show: the link does not belong to it.
  const parsed = ApprovalStateSchema.safeParse(raw);
  if (!parsed.success) throw new RunNotFoundError(workflowId, { cause: parsed.error });
  return parsed.data;
}
