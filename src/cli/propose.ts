/** `gatehouse propose <file.json>`: start an approval run from a proposal file, signed with GATEHOUSE_AGENT_KEY. */
import { readFileSync } from 'node:fs';
import { AgentKeyError, ProposalValidationError } from '../client';
import { CliError, ExitCode, noAgentKey, type CliContext } from './context';

export async function proposeCommand(ctx: CliContext, args: string[]): Promise<void> {
  const file = args[0];
  if (!file) throw new CliError('usage: gatehouse propose <proposal.json>', ExitCode.usage);
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read ${file} as JSON: ${(err as Error).message}`, ExitCode.usage);
  }
  const { gatehouse } = await ctx.connect();
  try {
    const run = await gatehouse.propose(input as Parameters<typeof gatehouse.propose>[0]);
    ctx.out(run.workflowId);
  } catch (err) {
    if (err instanceof ProposalValidationError) {
      throw new CliError(
        `invalid proposal in ${file}:\n${err.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
        ExitCode.usage,
      );
    }
    if (err instanceof AgentKeyError) throw noAgentKey('a proposal');
    throw err;
  }
}
