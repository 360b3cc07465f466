/**
 * The MCP server agents talk to: it lists the downstream tools its policies allow and turns each
 * gated call into a Gatehouse proposal, answering with the downstream result once the run has
 * committed it, or with "awaiting approval, call again" when the hold budget runs out first.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type CreateTaskResult,
  type Progress,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ProposalConflictError, ProposalValidationError, type GatehouseClient, type ProposalHandle } from '../client';
import { mcpProposalIdFor, workflowIdFor } from '../domain/ids';
import type { Principal } from '../domain/proposal';
import type { ApprovalState } from '../domain/state';
import { isTerminal, Status } from '../domain/status';
import type { Logger } from '../observability/logger';
import type { LoadedPolicy } from '../policy/load';
import type { CatalogTool, McpCatalog } from './catalog';
import type { McpGatewayConfig } from './config';
import type { Downstream } from './downstream';
import { passesThrough } from './policies';
import { createRunTaskStore, TASK_POLL_INTERVAL_MS } from './tasks';

export interface GatewayDeps {
  catalog: McpCatalog;
  /** Every catalog tool's effective policy, by action type (see effectiveMcpPolicies). */
  policies: ReadonlyMap<string, LoadedPolicy>;
  downstream: Downstream;
  gatehouse: GatehouseClient;
  config: Pick<McpGatewayConfig, 'agent' | 'holdSeconds'>;
  /** Who is calling: recorded as the proposal's requester, who may never approve it. */
  caller: Principal;
  logger: Logger;
  /** Where a reviewer or the caller follows a run (the Gatehouse web app), if there is one. */
  runUrl?: (workflowId: string) => string;
}

const PROGRESS_EVERY_MS = 5_000;
/** A tool description longer than this is cut in the evidence (the pack's preview holds 50,000). */
const PREVIEW_TEXT_CHARS = 20_000;

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const toolError = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

export function createGatewayServer(deps: GatewayDeps): Server {
  const taskStore = createRunTaskStore({
    gatehouse: deps.gatehouse,
    caller: deps.caller,
    agentId: deps.config.agent.id,
    resultOf: (state) => resultOf(state, state.workflowId),
    statusMessageOf,
  });
  // Clients of the 2025-11-25 revision that support tasks may ask for one per gated call; older
  // clients never see the capability's effect and are held as before.
  const server = new Server(
    { name: 'gatehouse-mcp-gateway', version: '0.1.0' },
    { capabilities: { tools: {}, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } }, taskStore },
  );
  const policyOf = (tool: CatalogTool): LoadedPolicy => {
    const policy = deps.policies.get(tool.actionType);
    // effectiveMcpPolicies gives every catalog tool a policy; a gap would be a wiring bug.
    if (!policy) throw new Error(`no policy for ${tool.actionType}`);
    return policy;
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: deps.catalog.tools.filter((tool) => policyOf(tool).policy.mode !== 'deny').map((tool) => listed(tool, policyOf(tool).policy)),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult | CreateTaskResult> => {
    const asTask = request.params.task !== undefined;
    // A task request must be answered with a task, so a refusal is a protocol error rather than a tool error.
    const refuse = (text: string) => {
      if (asTask) throw new McpError(ErrorCode.InvalidParams, text);
      return toolError(text);
    };
    const tool = deps.catalog.byExposedName.get(request.params.name);
    if (!tool) return refuse(`unknown tool "${request.params.name}"`);
    const { policy } = policyOf(tool);
    if (policy.mode === 'deny') return refuse(`refused by policy: ${policy.denyReason ?? 'this tool is not allowed'}`);
    const args = request.params.arguments ?? {};
    if (passesThrough(tool, policy)) {
      if (asTask) return refuse(`${tool.exposedName} runs at once and has no task: call it without one`);
      return passThrough(deps, tool, args, extra);
    }
    if (asTask) return gatedTask(deps, tool, args, extra);
    return gatedCall(deps, tool, args, extra);
  });
  return server;
}

/**
 * A call with no effect to gate goes straight to the downstream server, as if the client had
 * called it: the server's progress reaches the client under the client's own token, and a client
 * that cancels cancels the downstream call.
 */
async function passThrough(deps: GatewayDeps, tool: CatalogTool, args: Record<string, unknown>, extra: Extra): Promise<CallToolResult> {
  const progressToken = extra._meta?.progressToken;
  // One chain, not a list of sends: in order, and a server that floods progress holds one
  // promise of the gateway's memory, not one per notification.
  let relayed = Promise.resolve();
  const onprogress =
    progressToken === undefined
      ? undefined
      : (progress: Progress) => {
          relayed = relayed.then(() =>
            extra.sendNotification({ method: 'notifications/progress', params: { ...progress, progressToken } }).catch(() => undefined),
          );
        };
  const result = await deps.downstream.callTool(tool.server, tool.tool, args, {
    signal: extra.signal,
    ...(onprogress ? { onprogress } : {}),
  });
  // The result ends the request, and a client drops progress that arrives after it.
  await relayed;
  return result;
}

/**
 * A gated tool is listed without its output schema: its "awaiting approval" answer has no
 * structured content, and clients refuse a result that lacks the structure a schema promises.
 */
function listed(tool: CatalogTool, policy: LoadedPolicy['policy']) {
  // The downstream server's own task support is not the gateway's: only a gated call is a task here.
  const { outputSchema: _outputSchema, execution: _execution, ...definition } = tool.definition;
  return passesThrough(tool, policy)
    ? { ...definition, ...(tool.definition.outputSchema ? { outputSchema: tool.definition.outputSchema } : {}), name: tool.exposedName }
    : { ...definition, execution: { taskSupport: 'optional' as const }, name: tool.exposedName };
}

function proposalFor(deps: GatewayDeps, tool: CatalogTool, args: Record<string, unknown>) {
  return {
    id: mcpProposalIdFor({ caller: deps.caller.id, server: tool.server, tool: tool.tool, args }),
    actionType: tool.actionType,
    // The arguments are the params: reviewers see them on the decision page, masked by the
    // policy's redact list, so they are not repeated in the free text below.
    params: args,
    agent: { id: deps.config.agent.id, name: deps.config.agent.name },
    requestedBy: deps.caller,
    summary: `MCP tool ${tool.server}/${tool.tool}`.slice(0, 200),
    evidence: {
      // Everything below comes from the MCP server: reviewers are told so.
      preview: [
        `Tool: ${tool.server}/${tool.tool}`,
        `Description (from the MCP server, untrusted): ${(tool.definition.description ?? '(none)').slice(0, PREVIEW_TEXT_CHARS)}`,
        `Annotations (from the MCP server, untrusted): ${JSON.stringify(tool.definition.annotations ?? {})}`,
      ].join('\n'),
    },
  };
}

/** Starts (or finds) the call's run; a refusal is the error's message. */
async function proposeCall(deps: GatewayDeps, tool: CatalogTool, args: Record<string, unknown>): Promise<ProposalHandle | string> {
  try {
    const run = await deps.gatehouse.propose(proposalFor(deps, tool, args));
    deps.logger.info({ workflowId: run.workflowId, actionType: tool.actionType, caller: deps.caller.id }, 'gated MCP call');
    return run;
  } catch (err) {
    return refusalOf(err);
  }
}

/** A proposal the client refuses (invalid, or its id taken by another) is answered with the reason; anything else is thrown. */
function refusalOf(err: unknown): string {
  if (err instanceof ProposalValidationError || err instanceof ProposalConflictError) return err.message;
  throw err;
}

/** A task-augmented call: answered at once with the task, which is the run (see tasks.ts). */
async function gatedTask(deps: GatewayDeps, tool: CatalogTool, args: Record<string, unknown>, extra: Extra): Promise<CreateTaskResult> {
  const run = await proposeCall(deps, tool, args);
  if (typeof run === 'string') throw new McpError(ErrorCode.InvalidParams, run);
  if (!extra.taskStore) throw new Error('the gateway server was created without its task store');
  const task = await extra.taskStore.createTask({ pollInterval: TASK_POLL_INTERVAL_MS, context: { workflowId: run.workflowId } });
  return { task };
}

async function gatedCall(deps: GatewayDeps, tool: CatalogTool, args: Record<string, unknown>, extra: Extra): Promise<CallToolResult> {
  const held = await holdFor(deps, tool, args, deps.config.holdSeconds * 1_000, extra);
  if (typeof held === 'string') return toolError(held);
  if (!held.final) return pending(deps, held.workflowId);
  return resultOf(held.final, held.workflowId);
}

/**
 * Starts (or finds) the call's run and waits for its end up to `holdMs` (or until the client
 * cancels), sending progress when the client asked for it; a refusal is the error's message. The
 * wait is aborted, not abandoned: a long poll left behind would outlive the connection.
 */
async function holdFor(
  deps: GatewayDeps,
  tool: CatalogTool,
  args: Record<string, unknown>,
  holdMs: number,
  extra: Extra,
): Promise<{ workflowId: string; final?: ApprovalState } | string> {
  const proposal = proposalFor(deps, tool, args);
  const workflowId = workflowIdFor(proposal);
  deps.logger.info({ workflowId, actionType: tool.actionType, caller: deps.caller.id }, 'gated MCP call');
  const progressToken = extra._meta?.progressToken;
  let ticks = 0;
  const progress =
    progressToken === undefined
      ? undefined
      : setInterval(() => {
          ticks += 1;
          void extra
            .sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress: ticks, message: `awaiting approval (${workflowId})` },
            })
            .catch(() => undefined);
        }, PROGRESS_EVERY_MS);
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), holdMs);
  const onCancel = () => stop.abort();
  extra.signal.addEventListener('abort', onCancel, { once: true });
  try {
    // One call rather than propose then result(): the check that the run under the id holds this
    // call goes on beside the wait, and an auto-approved call is answered a round trip sooner.
    const { run, final } = await deps.gatehouse.proposeAndWait(proposal, { signal: stop.signal });
    return final ? { workflowId: run.workflowId, final } : { workflowId: run.workflowId };
  } catch (err) {
    return refusalOf(err);
  } finally {
    clearTimeout(timer);
    extra.signal.removeEventListener('abort', onCancel);
    if (progress) clearInterval(progress);
  }
}

function pending(deps: GatewayDeps, workflowId: string): CallToolResult {
  const where = deps.runUrl ? ` Follow it at ${deps.runUrl(workflowId)}.` : ` Operators follow it with \`gatehouse show ${workflowId}\`.`;
  return {
    content: [
      {
        type: 'text',
        text: `Awaiting human approval in Gatehouse (run ${workflowId}).${where} Call this tool again with exactly the same arguments to get the result: the call runs at most once.`,
      },
    ],
    _meta: { 'gatehouse/status': 'awaiting_approval', 'gatehouse/workflowId': workflowId },
  };
}

/** Why the run did not commit, in the reviewer's words when a reviewer ended it. */
function reasonOf(state: ApprovalState): string {
  const rejection = [...state.decisions].reverse().find((d) => d.kind === 'reject' && d.comment);
  if (state.status === Status.rejected && rejection) return `${rejection.reviewerId}: ${rejection.comment}`;
  return state.outcomeReason ?? state.execution?.error ?? 'no reason recorded';
}

/** What a task's status message says of its run: where it stands, and why it ended if it did not commit. */
function statusMessageOf(state: ApprovalState): string {
  switch (state.status) {
    case Status.succeeded:
      return 'the approved call was made';
    case Status.changesRequested: {
      const feedback = [...state.decisions].reverse().find((d) => d.kind === 'request_changes');
      return `a reviewer asked for changes${feedback?.comment ? `: ${feedback.comment}` : ''}; call again with revised arguments`;
    }
    default:
      return isTerminal(state.status) ? `run ended ${state.status}: ${reasonOf(state)}` : `Gatehouse run ${state.status.replace('_', ' ')}`;
  }
}

function resultOf(state: ApprovalState, workflowId: string): CallToolResult {
  const result = state.execution?.commit?.['result'];
  if (state.status === Status.succeeded && result && typeof result === 'object') return result as CallToolResult;
  return toolError(`Gatehouse run ${workflowId} ended ${state.status}: ${reasonOf(state)}`);
}
