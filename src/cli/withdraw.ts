/**
 * `gatehouse withdraw <workflowId> [--by <id>] [--reason "…"]`: pull a proposal back before commit,
 * signed with GATEHOUSE_AGENT_KEY. `--by` defaults to the run's agent; naming anyone else needs
 * that person's own key (an operator's), or the run refuses it.
 */
import { parseArgs } from 'node:util';
import { AgentKeyError, RunNotFoundError, WithdrawRefusedError } from '../client';
import { CliError, ExitCode, noAgentKey, type CliContext } from './context';

export async function withdrawCommand(ctx: CliContext, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { by: { type: 'string' }, reason: { type: 'string' } },
  });
  const workflowId = positionals[0];
  if (!workflowId) throw new CliError('usage: gatehouse withdraw <workflowId> [--by <id>] [--reason "…"]', ExitCode.usage);
  if (!ctx.config.GATEHOUSE_AGENT_KEY) throw noAgentKey('a withdrawal');
  const { gatehouse } = await ctx.connect();
  try {
    const run = await gatehouse.getProposal(workflowId);
    const by = values.by ?? (await run.status()).proposal.agent.id;
    ctx.out(`${workflowId}: ${await run.withdraw(by, values.reason)}`);
  } catch (err) {
    if (err instanceof RunNotFoundError) throw new CliError(err.message, ExitCode.notFound);
    if (err instanceof WithdrawRefusedError) throw new CliError(err.message, ExitCode.refused);
    if (err instanceof AgentKeyError) throw noAgentKey('a withdrawal');
    throw err;
  }
}
