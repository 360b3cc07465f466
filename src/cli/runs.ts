/** Reading approval runs for reports: a finished run answers from its result, an open one from its query. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ApprovalState } from '../domain/state';
import { getStateQuery } from '../../workflows/messages';
import { CliError, ExitCode } from './context';

/** A run whose worker is gone must not stall a report: queries get this long. */
const QUERY_DEADLINE_MS = 5_000;

export async function runState(client: Client, workflowId: string): Promise<ApprovalState> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return (await handle.result()) as ApprovalState;
    return await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(getStateQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliError(`no approval run ${workflowId}`, ExitCode.notFound);
    throw err;
  }
}

export function parseWindowMs(text: string): number {
  const match = /^(\d+)([hd])$/.exec(text);
  if (!match) throw new CliError(`--since takes a window such as 24h or 7d, not "${text}"`, ExitCode.usage);
  return Number(match[1]) * (match[2] === 'h' ? 3_600_000 : 86_400_000);
}

/**
 * Every approval run of this deployment's task queue started in the window. Runs that cannot
 * answer (an open run with no worker) are reported through `skipped` instead of stalling.
 */
export async function* runsSince(
  client: Client,
  taskQueue: string,
  windowMs: number,
  skipped: (workflowId: string, reason: string) => void,
): AsyncGenerator<ApprovalState> {
  const start = new Date(Date.now() - windowMs).toISOString();
  const query = `WorkflowType = "approvalWorkflow" AND TaskQueue = "${taskQueue}" AND StartTime > "${start}"`;
  for await (const wf of client.workflow.list({ query })) {
    try {
      yield await runState(client, wf.workflowId);
    } catch (err) {
      skipped(wf.workflowId, (err as Error).message);
    }
  }
}
