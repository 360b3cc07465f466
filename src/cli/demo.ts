/**
 * `gatehouse demo [dir]`: submits the sample proposals in examples/ (the seed's decision matrix),
 * each under a fresh id so a second demo starts new runs instead of finding the old ones. Signed
 * with GATEHOUSE_AGENT_KEY, which the dev registry (`gatehouse keys --agents-file`) gives every
 * sample agent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AgentKeyError, ProposalValidationError } from '../client';
import { CliError, ExitCode, noAgentKey, type CliContext } from './context';

export async function demoCommand(ctx: CliContext, args: string[]): Promise<void> {
  const dir = resolve(args[0] ?? 'examples');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new CliError(`no sample proposals in ${dir}`, ExitCode.usage);
  const suffix = new Date()
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14);
  const { gatehouse } = await ctx.connect();
  for (const file of files) {
    const proposal = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { id: string };
    try {
      const run = await gatehouse.propose({ ...proposal, id: `${proposal.id}-${suffix}` } as Parameters<typeof gatehouse.propose>[0]);
      ctx.out(`${file}\t${run.workflowId}`);
    } catch (err) {
      if (err instanceof ProposalValidationError) throw new CliError(`${file}: ${err.message}`, ExitCode.usage);
      if (err instanceof AgentKeyError) throw noAgentKey('a proposal');
      throw err;
    }
  }
}
