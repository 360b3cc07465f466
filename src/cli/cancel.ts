/**
 * `gatehouse cancel <workflowId>`: an operator stops a run. Before the commit it ends as withdrawn;
 * a commit in flight finishes and is verified. Prefer it to `temporal workflow terminate`, which
 * leaves no outcome, no outcome mail and no audit record.
 */
import { RunNotFoundError } from '../client';
import { CliError, ExitCode, type CliContext } from './context';

export async function cancelCommand(ctx: CliContext, args: string[]): Promise<void> {
  const workflowId = args[0];
  if (!workflowId || args.length > 1) throw new CliError('usage: gatehouse cancel <workflowId>', ExitCode.usage);
  const { gatehouse } = await ctx.connect();
  try {
    const final = await (await gatehouse.getProposal(workflowId)).cancel();
    ctx.out(`${workflowId}: ${final.status}`);
  } catch (err) {
    if (err instanceof RunNotFoundError) throw new CliError(err.message, ExitCode.notFound);
    throw err;
  }
}
