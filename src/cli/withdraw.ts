/** `gatehouse withdraw <workflowId> --by <id> [--reason "…"]`: pull a proposal back before commit. */
import { parseArgs } from 'node:util';
import { RunNotFoundError, WithdrawRefusedError } from '../client';
import { CliError, ExitCode, type CliContext } from './context';

export async function withdrawCommand(ctx: CliContext, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { by: { type: 'string' }, reason: { type: 'string' } } });
  const workflowId = positionals[0];
  if (!workflowId || !values.by) throw new CliError('usage: gatehouse withdraw <workflowId> --by <id> [--reason "…"]', ExitCode.usage);
  const { gatehouse } = await ctx.connect();
  try {
    const run = await gatehouse.getProposal(workflowId);
    ctx.out(`${workflowId}: ${await run.withdraw(values.by, values.reason)}`);
  } catch (err) {
    if (err instanceof RunNotFoundError) throw new CliError(err.message, ExitCode.notFound);
    if (err instanceof WithdrawRefusedError) throw new CliError(err.message, ExitCode.refused);
    throw err;
  }
}
