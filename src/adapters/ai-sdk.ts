/**
 * Gatehouse behind the Vercel AI SDK's tool approval, for `ai` 6.x (the major version that runs
 * on Node 20; 7.x needs Node 22). An optional peer dependency: import this module only where
 * `ai` is installed.
 *
 * A gated tool always needs approval, so `generateText` stops with a `tool-approval-request`.
 * `pause` proposes each gated call (id derived from the tool call id); the service keeps the
 * conversation's messages (JSON). Once the runs have ended, `answer` builds the tool message
 * with an approval response per call: executed → approved, and the tool's `execute` returns
 * Gatehouse's commit record (the tool never acts); anything else → denied with the reason,
 * which the SDK hands the model as the denied call's result.
 *
 * ```ts
 * const gate = new AiSdkGate({ gatehouse });
 * const tools = { refund: gate.tool('refund', { description, inputSchema, actionType, proposal }) };
 * const first = await generateText({ model, tools, messages });
 * const ids = await gate.pause(first.content);
 * const history = [...messages, ...first.response.messages]; // store it with the ids
 * // once the runs ended (waitForOutcomes, webhook):
 * const next = await generateText({ model, tools, messages: [...history, await gate.answer(history)] });
 * ```
 */
import { tool, type ModelMessage, type Tool, type ToolModelMessage } from 'ai';
import type { z } from 'zod';
import type { approvalWorkflow } from '../../workflows/approval';
import type { GatehouseClient } from '../client/gatehouse-client';
import { adapterProposalIdFor, workflowIdFor } from '../domain/ids';
import { outcomeOf } from '../domain/outcome';
import type { ProposalInput } from '../domain/proposal';
import { AgentResumeError, type ProposalFrame } from './openai-agents';
import { refusalText, toolResultOf } from './tool-result';

export interface AiSdkGatedToolOptions<P extends z.ZodObject> {
  description: string;
  inputSchema: P;
  actionType: string;
  proposal(input: z.infer<P>): ProposalFrame;
}

interface GatedTool {
  proposalFor(toolCallId: string, input: unknown): ProposalInput;
}

export class AiSdkGate {
  private readonly gated = new Map<string, GatedTool>();

  constructor(private readonly options: { gatehouse: GatehouseClient; webhook?: string }) {}

  /** A tool (register it under `name`) that needs approval on every call and returns the run's commit record. */
  tool<P extends z.ZodObject>(name: string, options: AiSdkGatedToolOptions<P>): Tool<Record<string, unknown>, string> {
    const { webhook } = this.options;
    const gated: GatedTool = {
      proposalFor: (toolCallId, input) => {
        const parsed = options.inputSchema.parse(input);
        const frame = options.proposal(parsed);
        return {
          ...frame,
          id: adapterProposalIdFor('ai', [name, toolCallId, parsed]),
          actionType: options.actionType,
          params: frame.params ?? parsed,
          ...(webhook && !frame.notify ? { notify: { webhook } } : {}),
        };
      },
    };
    this.gated.set(name, gated);
    const inputSchema: z.ZodType<Record<string, unknown>> = options.inputSchema;
    return tool({
      description: options.description,
      inputSchema,
      needsApproval: true,
      // Runs only for an approved call; it reads the run, so it executes nothing itself.
      execute: async (input, { toolCallId }) => {
        const run = await this.options.gatehouse.getProposal(workflowIdFor(gated.proposalFor(toolCallId, input)));
        return JSON.stringify(toolResultOf(outcomeOf(await run.status(), new Date().toISOString())));
      },
    });
  }

  /** Proposes every gated call `generateText` stopped at; returns the workflow ids to wait for. Safe to repeat. */
  async pause(content: ReadonlyArray<{ type: string }>): Promise<string[]> {
    const ids: string[] = [];
    for (const part of content) {
      if (part.type !== 'tool-approval-request') continue;
      const call = (part as { toolCall?: { toolName: string; toolCallId: string; input: unknown } }).toolCall;
      const gated = call ? this.gated.get(call.toolName) : undefined;
      if (!call || !gated) continue;
      ids.push((await this.options.gatehouse.propose(gated.proposalFor(call.toolCallId, call.input))).workflowId);
    }
    return ids;
  }

  /**
   * The tool message answering every gated approval request in `messages` from its ended run.
   * Throws {@link AgentResumeError} when a run has not ended yet.
   */
  async answer(messages: readonly ModelMessage[]): Promise<ToolModelMessage> {
    const calls = new Map<string, { toolName: string; input: unknown }>();
    const requests: { approvalId: string; toolCallId: string }[] = [];
    const answered = new Set<string>();
    for (const message of messages) {
      if (message.role === 'tool')
        for (const part of message.content) if (part.type === 'tool-approval-response') answered.add(part.approvalId);
      if (message.role !== 'assistant' || typeof message.content === 'string') continue;
      for (const part of message.content) {
        if (part.type === 'tool-call') calls.set(part.toolCallId, { toolName: part.toolName, input: part.input });
        if (part.type === 'tool-approval-request') requests.push({ approvalId: part.approvalId, toolCallId: part.toolCallId });
      }
    }
    const content: ToolModelMessage['content'] = [];
    for (const request of requests.filter((r) => !answered.has(r.approvalId))) {
      const call = calls.get(request.toolCallId);
      const gated = call ? this.gated.get(call.toolName) : undefined;
      if (!call || !gated) continue;
      const workflowId = workflowIdFor(gated.proposalFor(request.toolCallId, call.input));
      const handle = this.options.gatehouse.temporal.workflow.getHandle<typeof approvalWorkflow>(workflowId);
      const description = await handle.describe();
      if (description.status.name === 'RUNNING') throw new AgentResumeError(`run ${workflowId} has not ended yet`);
      const outcome = outcomeOf(await handle.result(), (description.closeTime ?? new Date()).toISOString());
      content.push(
        outcome.verdict === 'done'
          ? { type: 'tool-approval-response', approvalId: request.approvalId, approved: true }
          : { type: 'tool-approval-response', approvalId: request.approvalId, approved: false, reason: refusalText(outcome) },
      );
    }
    return { role: 'tool', content };
  }
}
