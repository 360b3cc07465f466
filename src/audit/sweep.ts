/**
 * Runs that end without their workflow code getting a word in: an operator's `terminate`, or the
 * execution timeout. Temporal knows them; the log would not, since the final audit step never ran.
 * The sweep asks visibility for such runs, and appends for each one the log has not closed what
 * the run's state still tells (when a worker can answer the query) and a `terminated` entry
 * naming who ended it and why.
 */
import type { Client } from '@temporalio/client';
import { getStateQuery } from '../../workflows/messages';
import type { ApprovalState } from '../domain/state';
import type { AuditLog } from './chain';
import { auditEntries, type AuditEntry } from './record';
import { closesRun } from './verify';

/** A terminated run's query replays its history on a worker; one that does not answer is recorded without it. */
const QUERY_DEADLINE_MS = 5_000;

export interface SweepResult {
  /** Workflow ids newly recorded as terminated or timed out. */
  recorded: string[];
}

const STATUS_NAMES = { TERMINATED: 'terminated', TIMED_OUT: 'timed_out' } as const;

async function stateOf(client: Client, workflowId: string, runId: string): Promise<ApprovalState | undefined> {
  try {
    return await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      client.workflow.getHandle(workflowId, runId).query(getStateQuery),
    );
  } catch {
    return undefined;
  }
}

/** Who terminated the run and why, from its last history event. */
async function howItEnded(client: Client, workflowId: string, runId: string): Promise<{ reason: string | null; identity: string | null }> {
  try {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const last = history.events?.at(-1)?.workflowExecutionTerminatedEventAttributes;
    return { reason: last?.reason || null, identity: last?.identity || null };
  } catch {
    return { reason: null, identity: null };
  }
}

export async function sweepTerminatedRuns(deps: { client: Client; taskQueue: string; log: AuditLog }): Promise<SweepResult> {
  const { client, taskQueue, log } = deps;
  const query = `WorkflowType = "approvalWorkflow" AND TaskQueue = "${taskQueue}" AND (ExecutionStatus = "Terminated" OR ExecutionStatus = "TimedOut")`;
  const lines = await log.read();
  const closed = new Set(lines.filter(closesRun).map((l) => l.workflowId));
  const recorded: string[] = [];
  for await (const run of client.workflow.list({ query })) {
    if (closed.has(run.workflowId)) continue;
    const status = run.status.name === 'TIMED_OUT' ? STATUS_NAMES.TIMED_OUT : STATUS_NAMES.TERMINATED;
    const state = await stateOf(client, run.workflowId, run.runId);
    const ended =
      status === STATUS_NAMES.TERMINATED ? await howItEnded(client, run.workflowId, run.runId) : { reason: null, identity: null };
    const final: AuditEntry = {
      entryId: `${run.workflowId}:terminated`,
      workflowId: run.workflowId,
      at: (run.closeTime ?? new Date()).toISOString(),
      kind: 'terminated',
      data: {
        status,
        runId: run.runId,
        statusBefore: state?.status ?? null,
        reason: ended.reason,
        by: ended.identity,
        actionType: state?.proposal.actionType ?? null,
      },
    };
    await log.append([...(state ? auditEntries(state) : []), final]);
    recorded.push(run.workflowId);
  }
  return { recorded };
}
