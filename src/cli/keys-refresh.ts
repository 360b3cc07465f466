/**
 * `gatehouse keys refresh`: every open run on this task queue adopts the keys its worker trusts
 * now (refreshTrustSignal). Run it after the workers restarted with a key added (the next grant
 * key, a new decision, operator or agent key) or removed (a revocation): a run otherwise keeps the
 * keys it recorded at its start until it closes.
 */
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { refreshTrustSignal } from '../../workflows/messages';
import { CliError, ExitCode, type CliContext } from './context';

export async function keysRefreshCommand(ctx: CliContext, args: string[]): Promise<void> {
  parseArgs({ args, options: {} });
  const { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, GATEHOUSE_TASK_QUEUE: taskQueue } = ctx.config;
  let client: Client;
  try {
    ({ client } = await ctx.connect());
  } catch (err) {
    throw new CliError(
      `cannot reach Temporal at ${address} (namespace ${namespace}): ${(err as Error).message}; no run was signalled`,
      ExitCode.failure,
    );
  }
  // Runs of other task queues belong to other workers, with keys of their own.
  const query = `WorkflowType = "approvalWorkflow" AND TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
  let signalled = 0;
  for await (const run of client.workflow.list({ query })) {
    try {
      // By workflow id alone: a run that continued as new meanwhile is reached in its new run.
      await client.workflow.getHandle(run.workflowId).signal(refreshTrustSignal);
      signalled += 1;
    } catch (err) {
      // Closed between the listing and the signal: nothing left to refresh.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  ctx.out(
    `signalled ${signalled} open run${signalled === 1 ? '' : 's'} on task queue ${taskQueue} (namespace ${namespace} at ${address}) ` +
      `to adopt their workers' current keys; each does within a minute`,
  );
  // Not an error (a quiet system has no open run), but a wrong queue or namespace looks the same.
  if (signalled === 0)
    ctx.out(`no open run found: check GATEHOUSE_TASK_QUEUE, TEMPORAL_NAMESPACE and TEMPORAL_ADDRESS if runs are waiting`);
}
