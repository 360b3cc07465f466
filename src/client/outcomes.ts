/**
 * Waiting for many runs from one process. A resumer holding a thousand paused agents asks the
 * server which of them have closed, in batched list queries, instead of holding a result
 * long-poll (or a process) per run; each closed run is read once and yielded as it is found.
 */
import type { Client } from '@temporalio/client';
import type { approvalWorkflow } from '../../workflows/approval';
import { outcomeOf, type RunOutcome } from '../domain/outcome';
import { OutcomeWaitError } from './errors';

export interface WaitForOutcomesOptions {
  /** Aborting ends the iteration (without an error) at the next check. */
  signal?: AbortSignal;
  /** Between rounds of list queries; 1 s by default. */
  pollIntervalMs?: number;
  /** Workflow ids per list query; 100 by default. */
  batchSize?: number;
}

/** One finished run: its outcome, or why it closed without one (terminated by an operator, say). */
export type FinishedRun = { workflowId: string; outcome: RunOutcome } | { workflowId: string; closedWithoutOutcome: string };

/** Workflow ids go into a list query inside quotes: quotes and backslashes would break out of them. */
const QUOTABLE = /^[^"\\\u0000-\u001f]{1,1000}$/;

function checkIds(workflowIds: readonly unknown[]): string[] {
  if (!Array.isArray(workflowIds)) throw new OutcomeWaitError('workflowIds must be an array of workflow ids');
  const bad = workflowIds.filter((id) => typeof id !== 'string' || !QUOTABLE.test(id));
  if (bad.length > 0)
    throw new OutcomeWaitError(`${bad.length} of the workflow ids are not workflow ids (empty, quotes or control characters)`);
  return [...new Set(workflowIds as string[])];
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

export async function* waitForOutcomes(
  temporal: Client,
  workflowIds: readonly string[],
  options: WaitForOutcomesOptions = {},
): AsyncGenerator<FinishedRun> {
  const pending = new Set(checkIds(workflowIds));
  const batchSize = options.batchSize ?? 100;
  const { signal } = options;
  while (pending.size > 0 && !signal?.aborted) {
    const ids = [...pending];
    for (let i = 0; i < ids.length && !signal?.aborted; i += batchSize) {
      const batch = ids.slice(i, i + batchSize);
      const query = `WorkflowId IN (${batch.map((id) => `"${id}"`).join(', ')}) AND ExecutionStatus != "Running"`;
      for await (const closed of temporal.workflow.list({ query })) {
        if (!pending.has(closed.workflowId)) continue;
        pending.delete(closed.workflowId);
        yield await finished(temporal, closed.workflowId, closed.closeTime ?? new Date());
      }
    }
    if (pending.size > 0) await sleep(options.pollIntervalMs ?? 1_000, signal);
  }
}

async function finished(temporal: Client, workflowId: string, closeTime: Date): Promise<FinishedRun> {
  try {
    const state = await temporal.workflow.getHandle<typeof approvalWorkflow>(workflowId).result();
    return { workflowId, outcome: outcomeOf(state, closeTime.toISOString()) };
  } catch (err) {
    return { workflowId, closedWithoutOutcome: err instanceof Error ? err.message : String(err) };
  }
}
