/** `gatehouse show <workflowId> [--json]`: the current state of one run. */
import { parseArgs } from 'node:util';
import { RunNotFoundError } from '../client';
import type { ApprovalState } from '../domain/state';
import { redactedState } from '../evidence/redacted-state';
import { terminalJson, terminalLine } from '../evidence/text';
import { CliError, ExitCode, type CliContext } from './context';

export async function loadState(ctx: CliContext, workflowId: string): Promise<ApprovalState> {
  const { gatehouse } = await ctx.connect();
  try {
    const run = await gatehouse.getProposal(workflowId);
    return await run.status();
  } catch (err) {
    if (err instanceof RunNotFoundError) throw new CliError(err.message, ExitCode.notFound);
    throw err;
  }
}

export async function showCommand(ctx: CliContext, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const workflowId = positionals[0];
  if (!workflowId) throw new CliError('usage: gatehouse show <workflowId> [--json]', ExitCode.usage);
  const state = redactedState(await loadState(ctx, workflowId));
  if (values.json) {
    ctx.out(terminalJson(state));
    return;
  }
  // Agent and reviewer text reaches the terminal one line at a time, without control characters.
  const t = (text: string) => terminalLine(text);
  ctx.out(`${t(state.workflowId)}  ${state.status}  round ${state.round}`);
  ctx.out(`summary: ${t(state.proposal.summary)}`);
  ctx.out(`agent: ${t(state.proposal.agent.id)}  requested by: ${t(requester(state))}`);
  if (state.evaluation)
    ctx.out(`policy: ${t(state.evaluation.policyVersion)} → ${state.evaluation.outcome} (${t(state.evaluation.reason)})`);
  if (state.deadline) ctx.out(`deadline: ${t(state.deadline)}`);
  for (const d of state.decisions)
    ctx.out(`decision: r${d.round} ${t(d.reviewerId)} (${t(d.role)}) ${d.kind}${d.comment ? `: ${t(d.comment)}` : ''}`);
  for (const tr of state.transitions) ctx.out(`${t(tr.at)}  ${tr.from} → ${tr.to}${tr.note ? `  ${t(tr.note)}` : ''}`);
}

/** Who the run is for, and whose word that is: only the agent's signature stands behind it. */
function requester(state: ApprovalState): string {
  const asserted = state.evaluation?.requesterAssertedBy;
  if (asserted) return `${state.proposal.requestedBy.id} (asserted by agent ${asserted}, key ${state.evaluation?.agentKeyId ?? '?'})`;
  return `${state.proposal.requestedBy.id} (not authenticated)`;
}
