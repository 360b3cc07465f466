/**
 * MCP tasks backed by Gatehouse runs, for the SDK's experimental tasks API: the task id is the
 * run's workflow id and every answer is read from the run, so a task follows the run (and
 * survives a gateway restart) instead of living in the gateway's memory. Cancelling the task
 * withdraws the run, signed by the gateway's agent as the proposer.
 */
import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import { ErrorCode, McpError, type CallToolResult, type Result, type Task } from '@modelcontextprotocol/sdk/types.js';
import { RunNotFoundError, WithdrawRefusedError, type GatehouseClient } from '../client';
import type { Principal } from '../domain/proposal';
import type { ApprovalState } from '../domain/state';
import { isTerminal, type Status } from '../domain/status';

/** How often a client is asked to poll: approvals take minutes to days, not milliseconds. */
export const TASK_POLL_INTERVAL_MS = 2_000;

type TaskStatus = Task['status'];

/**
 * Run status → task status. A run waiting on reviewers is `working` (the requester has nothing
 * to give); one a reviewer sent back for changes needs the requester's input, a new call with
 * revised arguments. Every way a run ends without committing is `failed`, except a withdrawal,
 * which is what a cancelled task is.
 */
const TASK_STATUS: Record<Status, TaskStatus> = {
  proposed: 'working',
  evaluating: 'working',
  auto_approved: 'working',
  awaiting_approval: 'working',
  approved: 'working',
  committing: 'working',
  verifying: 'working',
  changes_requested: 'input_required',
  succeeded: 'completed',
  withdrawn: 'cancelled',
  denied: 'failed',
  rejected: 'failed',
  expired: 'failed',
  failed: 'failed',
  rolled_back: 'failed',
  needs_attention: 'failed',
};

export interface RunTaskStoreDeps {
  gatehouse: GatehouseClient;
  /** The caller whose session this store serves: only their runs are their tasks. */
  caller: Principal;
  /** The gateway's agent: the proposer of every run, and who signs a withdrawal. */
  agentId: string;
  /** The tool result of a finished run (the downstream result, or a tool error with the reason). */
  resultOf(state: ApprovalState): CallToolResult;
  statusMessageOf(state: ApprovalState): string;
}

/** Thrown into the SDK's task handlers when the context names no run; a wiring bug if seen. */
export class TaskContextError extends Error {
  override readonly name = 'TaskContextError';
}

const notFound = (taskId: string) => new McpError(ErrorCode.InvalidParams, `Task not found: ${taskId}`);

export function createRunTaskStore(deps: RunTaskStoreDeps): TaskStore {
  /** Tasks this session created, for tasks/list; each is read back from its run. */
  const created = new Set<string>();

  /** The run's state, or undefined when there is no such run or it is not this caller's. */
  const stateOf = async (taskId: string): Promise<ApprovalState | undefined> => {
    let state: ApprovalState;
    try {
      state = await (await deps.gatehouse.getProposal(taskId)).status();
    } catch (err) {
      if (err instanceof RunNotFoundError) return undefined;
      throw err;
    }
    // Another caller's run is answered as unknown: task ids are not capabilities.
    if (state.proposal.requestedBy.id !== deps.caller.id || state.proposal.agent.id !== deps.agentId) return undefined;
    return state;
  };

  const taskOf = (state: ApprovalState): Task => {
    const first = state.transitions[0]?.at ?? new Date(0).toISOString();
    const last = state.transitions.at(-1)?.at ?? first;
    return {
      taskId: state.workflowId,
      status: TASK_STATUS[state.status],
      // The run's retention decides how long it can be read, not the gateway.
      ttl: null,
      createdAt: first,
      lastUpdatedAt: last,
      pollInterval: TASK_POLL_INTERVAL_MS,
      statusMessage: deps.statusMessageOf(state),
    };
  };

  return {
    async createTask(taskParams: CreateTaskOptions) {
      const workflowId = taskParams.context?.['workflowId'];
      if (typeof workflowId !== 'string') throw new TaskContextError('a task is created for a run: pass its workflowId in the context');
      const state = await stateOf(workflowId);
      if (!state) throw notFound(workflowId);
      created.add(workflowId);
      return taskOf(state);
    },
    async getTask(taskId) {
      const state = await stateOf(taskId);
      return state ? taskOf(state) : null;
    },
    // The run records its own outcome; the SDK's handlers never store one for a gateway task.
    async storeTaskResult() {},
    async getTaskResult(taskId): Promise<Result> {
      const state = await stateOf(taskId);
      if (!state) throw notFound(taskId);
      if (!isTerminal(state.status)) throw new McpError(ErrorCode.InvalidParams, `Task ${taskId} has not finished`);
      return deps.resultOf(state);
    },
    async updateTaskStatus(taskId, status) {
      // Only a cancel comes from outside the run; every other status is read from the run itself.
      if (status !== 'cancelled') return;
      try {
        await (await deps.gatehouse.getProposal(taskId)).withdraw(deps.agentId, `withdrawn by MCP client ${deps.caller.id} (tasks/cancel)`);
      } catch (err) {
        if (err instanceof WithdrawRefusedError) throw new McpError(ErrorCode.InvalidRequest, `cannot cancel: ${err.message}`);
        throw err;
      }
    },
    async listTasks() {
      const tasks: Task[] = [];
      for (const taskId of created) {
        const state = await stateOf(taskId);
        if (state) tasks.push(taskOf(state));
      }
      return { tasks };
    },
  };
}
