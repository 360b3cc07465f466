/**
 * Gatehouse behind the OpenAI Agents SDK's tool approval (`@openai/agents`, an optional peer
 * dependency; import this module only where the SDK is installed).
 *
 * A gated tool always needs approval, so the SDK pauses the run at its call. `pause` turns each
 * such call into a Gatehouse proposal and keeps the serialized run state in a store; once the runs
 * have ended (`GatehouseClient.waitForOutcomes`, or the outcome webhook), `resume` restores the
 * state, in any process, and answers each call from its run: executed → the SDK approves and the
 * tool returns Gatehouse's commit record; anything else → the SDK rejects with the reason, which
 * the model reads. The tool never performs the action: the executor did, once, in Gatehouse.
 *
 * ```ts
 * const gate = new OpenAIAgentsGate({ gatehouse, store: filePausedAgentStore('.agents') });
 * const refund = gate.tool({ name: 'refund', parameters, actionType: 'payment.refund', proposal });
 * const result = await run(agent, 'refund order 42');
 * const ids = await gate.pause('conversation-1', result);
 * // later, maybe elsewhere: for await (const r of gatehouse.waitForOutcomes(ids)) …
 * const state = await gate.resume('conversation-1', agent);
 * const done = await run(agent, state);
 * ```
 */
import { RunState, tool, type Agent, type FunctionTool, type RunToolApprovalItem } from '@openai/agents';
import type { z } from 'zod';
import type { approvalWorkflow } from '../../workflows/approval';
import type { GatehouseClient } from '../client/gatehouse-client';
import { adapterProposalIdFor, workflowIdFor } from '../domain/ids';
import { outcomeOf } from '../domain/outcome';
import type { ProposalInput } from '../domain/proposal';
import type { PausedAgentStore } from './state-store';
import { refusalText, toolResultOf } from './tool-result';

/** The proposal of one call, but for what the gate fills in (id, action type; params default to the arguments). */
export type ProposalFrame = Omit<ProposalInput, 'id' | 'actionType' | 'params'> & { params?: Record<string, unknown> };

export interface GatedToolOptions<P extends z.ZodObject> {
  name: string;
  description: string;
  /** The model's arguments; a call whose arguments do not parse is refused before any proposal. */
  parameters: P;
  /** The Gatehouse action type the call becomes; its executor performs the action. */
  actionType: string;
  /** Who asks, for whom, the summary and evidence of one call. */
  proposal(args: z.infer<P>): ProposalFrame;
}

/** Thrown when a paused agent cannot be resumed: nothing stored under the key, or a run is not over. */
export class AgentResumeError extends Error {
  override readonly name = 'AgentResumeError';
}

interface GatedTool {
  /** The proposal of one call, its id derived from the call so a retried pause meets the same run. */
  proposalFor(callId: string, args: unknown): ProposalInput;
}

export interface OpenAIAgentsGateOptions {
  gatehouse: GatehouseClient;
  store: PausedAgentStore;
  /** A webhook every proposal names (the service's outcome receiver), if the service has one. */
  webhook?: string;
}

export class OpenAIAgentsGate {
  private readonly gated = new Map<string, GatedTool>();

  constructor(private readonly options: OpenAIAgentsGateOptions) {}

  /** A function tool that pauses for Gatehouse on every call and returns the run's commit record. */
  tool<P extends z.ZodObject>(options: GatedToolOptions<P>): FunctionTool<unknown, z.ZodObject, string> {
    const { webhook } = this.options;
    const gated: GatedTool = {
      proposalFor: (callId, args) => {
        const parsed = options.parameters.parse(args);
        const frame = options.proposal(parsed);
        return {
          ...frame,
          id: adapterProposalIdFor('oa', [options.name, callId, parsed]),
          actionType: options.actionType,
          params: frame.params ?? parsed,
          ...(webhook && !frame.notify ? { notify: { webhook } } : {}),
        };
      },
    };
    this.gated.set(options.name, gated);
    const parameters: z.ZodObject = options.parameters;
    return tool({
      name: options.name,
      description: options.description,
      parameters,
      needsApproval: true,
      // Reached only after the SDK's approval, which `resume` gives only for an executed run; it
      // reads that run, so even an approval given around Gatehouse executes nothing here.
      execute: async (args, _context, details) => {
        const callId = details?.toolCall?.callId;
        if (!callId) throw new AgentResumeError(`${options.name}: the SDK gave no tool call id`);
        const workflowId = workflowIdFor(gated.proposalFor(callId, args));
        const run = await this.options.gatehouse.getProposal(workflowId);
        const state = await run.status();
        return JSON.stringify(toolResultOf(outcomeOf(state, new Date().toISOString())));
      },
    });
  }

  /**
   * Proposes every gated call the run paused at and stores the serialized state under `key`.
   * Returns the workflow ids to wait for (none when the run did not pause at a gated tool).
   * Safe to repeat: the same calls meet the same runs.
   */
  async pause(key: string, result: { interruptions: RunToolApprovalItem[]; state: { toString(): string } }): Promise<string[]> {
    const workflowIds: string[] = [];
    for (const item of result.interruptions) {
      const call = this.gatedCall(item);
      if (!call) continue;
      const handle = await this.options.gatehouse.propose(call.gated.proposalFor(call.callId, call.args));
      workflowIds.push(handle.workflowId);
    }
    if (workflowIds.length > 0) await this.options.store.put(key, { state: result.state.toString(), workflowIds });
    return workflowIds;
  }

  /**
   * Restores the state stored under `key` for `agent` and answers each gated call from its
   * finished run. Pass the returned state to `run(agent, state)`. Throws {@link AgentResumeError}
   * when nothing is stored under the key or a run has not ended yet (nothing is changed then).
   */
  async resume(key: string, agent: Agent): Promise<RunState<unknown, Agent>> {
    const paused = await this.options.store.get(key);
    if (!paused) throw new AgentResumeError(`no paused agent is stored under "${key}"`);
    const state = await RunState.fromString(agent, paused.state);
    const answers: Array<() => void> = [];
    for (const item of state.getInterruptions()) {
      const call = this.gatedCall(item);
      if (!call) continue;
      const workflowId = workflowIdFor(call.gated.proposalFor(call.callId, call.args));
      const run = this.options.gatehouse.temporal.workflow.getHandle<typeof approvalWorkflow>(workflowId);
      const description = await run.describe();
      if (description.status.name === 'RUNNING') throw new AgentResumeError(`run ${workflowId} has not ended yet`);
      const outcome = outcomeOf(await run.result(), (description.closeTime ?? new Date()).toISOString());
      answers.push(outcome.verdict === 'done' ? () => state.approve(item) : () => state.reject(item, { message: refusalText(outcome) }));
    }
    for (const answer of answers) answer();
    // Kept until the caller's next `pause` (which overwrites it) or `forget`: a crash during the
    // resumed run resumes again from here, and the calls meet the same runs.
    return state;
  }

  /** Drops the state stored under `key`, once the resumed run has finished. */
  forget(key: string): Promise<void> {
    return this.options.store.delete(key);
  }

  private gatedCall(item: RunToolApprovalItem): { gated: GatedTool; callId: string; args: unknown } | undefined {
    const gated = item.name ? this.gated.get(item.name) : undefined;
    if (!gated || item.rawItem.type !== 'function_call') return undefined;
    return { gated, callId: item.rawItem.callId, args: JSON.parse(item.rawItem.arguments) as unknown };
  }
}
