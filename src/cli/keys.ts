/**
 * `gatehouse keys [--agent-only] [--agents-file FILE] [--examples DIR]`: fresh signing, link and
 * agent keys as environment lines, for a dev env file. With `--agents-file`, also writes a dev
 * agent registry there giving the new agent key to every agent the sample proposals name.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sampleAgents, writeDevAgentRegistry } from '../dev/dev-agents';
import { generateDecisionKeyPair } from '../links/decision-signer';
import { generateLinkSecret } from '../links/keyring';
import type { CliContext } from './context';

/** Key id of the agent key `gatehouse keys` makes. */
const AGENT_KEY_ID = 'agent1';

export async function keysCommand(ctx: Pick<CliContext, 'out'>, args: string[] = []): Promise<void> {
  const { values } = parseArgs({ args, options: { 'agent-only': { type: 'boolean' }, 'agents-file': { type: 'string' }, examples: { type: 'string' } } });
  if (!values['agent-only']) {
    const pair = generateDecisionKeyPair();
    ctx.out(`GATEHOUSE_DECISION_SIGNING_KEY=d1:${pair.privateKeyHex}`);
    ctx.out(`GATEHOUSE_DECISION_PUBLIC_KEYS=d1:${pair.publicKeyHex}`);
    ctx.out(`GATEHOUSE_LINK_KEYS=l1:${generateLinkSecret()}`);
  }
  const agent = generateDecisionKeyPair();
  ctx.out(`# the agent's public key, to list under its keys in the agent registry: ${AGENT_KEY_ID}:${agent.publicKeyHex}`);
  ctx.out(`GATEHOUSE_AGENT_KEY=${AGENT_KEY_ID}:${agent.privateKeyHex}`);
  const agentsFile = values['agents-file'];
  if (agentsFile) {
    const file = resolve(agentsFile);
    writeDevAgentRegistry(file, sampleAgents(resolve(values.examples ?? 'examples')), { keyId: AGENT_KEY_ID, publicKeyHex: agent.publicKeyHex });
    // Quoted when needed: the dev stack sources this file into a shell.
    ctx.out(`GATEHOUSE_AGENTS_FILE=${/^[A-Za-z0-9_./-]+$/.test(file) ? file : `'${file.replace(/'/g, `'\\''`)}'`}`);
  }
}
