/**
 * `gatehouse keys [--operator ID] [--agent-only] [--agents-file FILE] [--examples DIR]`: fresh
 * keys as environment lines, for a dev env file (`gatehouse keys refresh` is keys-refresh.ts). The operator key pair is printed both ways: the
 * private half for that person's CLI, the public half registered to them for the worker. With
 * `--agents-file`, also writes a dev agent registry there giving the new agent key to every agent
 * the sample proposals name.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sampleAgents, writeDevAgentRegistry } from '../dev/dev-agents';
import { SubjectIdSchema } from '../domain/subject';
import { generateDecisionKeyPair } from '../links/decision-signer';
import { generateLinkSecret } from '../links/keyring';
import { generateSamplingKeySpec } from '../policy/sampling';
import { generatePayloadKey } from '../temporal/payload-codec';
import { CliError, ExitCode, type CliContext } from './context';

/** The dev stack's operator: a finance reviewer, so the README's `decide` example works. */
const DEV_OPERATOR = 'fred.finance';
/** Key id of the agent key `gatehouse keys` makes. */
const AGENT_KEY_ID = 'agent1';

export async function keysCommand(ctx: Pick<CliContext, 'out'>, args: string[] = []): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      operator: { type: 'string' },
      'agent-only': { type: 'boolean' },
      'agents-file': { type: 'string' },
      examples: { type: 'string' },
    },
  });
  const operator = values.operator ?? DEV_OPERATOR;
  if (!SubjectIdSchema.safeParse(operator).success)
    throw new CliError(`--operator: "${operator}" is not a valid person id`, ExitCode.usage);
  if (!values['agent-only']) {
    const decision = generateDecisionKeyPair();
    const grant = generateDecisionKeyPair();
    const operatorPair = generateDecisionKeyPair();
    ctx.out(`GATEHOUSE_DECISION_SIGNING_KEY=d1:${decision.privateKeyHex}`);
    ctx.out(`GATEHOUSE_DECISION_PUBLIC_KEYS=d1:${decision.publicKeyHex}`);
    ctx.out(`GATEHOUSE_LINK_KEYS=l1:${generateLinkSecret()}`);
    ctx.out(`GATEHOUSE_LINK_GRANT_KEY=g1:${grant.privateKeyHex}`);
    // Needed only to rotate: workers trust a grant key ahead of a switch, or after it, by its public half.
    ctx.out(`# the link grant key's public half, for GATEHOUSE_LINK_GRANT_PUBLIC_KEYS during a rotation: g1:${grant.publicKeyHex}`);
    ctx.out(`GATEHOUSE_OPERATOR_KEYS=${operator}=o1:${operatorPair.publicKeyHex}`);
    ctx.out(`GATEHOUSE_OPERATOR_KEY=o1:${operatorPair.privateKeyHex}`);
    ctx.out(`GATEHOUSE_SAMPLING_KEY=${generateSamplingKeySpec()}`);
    ctx.out(`GATEHOUSE_PAYLOAD_KEYS=p1:${generatePayloadKey()}`);
    const checkpoint = generateDecisionKeyPair();
    ctx.out(`GATEHOUSE_AUDIT_KEYS=a1:${generateLinkSecret()}`);
    ctx.out(`GATEHOUSE_AUDIT_CHECKPOINT_KEY=c1:${checkpoint.privateKeyHex}`);
    ctx.out(`GATEHOUSE_AUDIT_CHECKPOINT_PUBLIC_KEYS=c1:${checkpoint.publicKeyHex}`);
  }
  const agent = generateDecisionKeyPair();
  ctx.out(`# the agent's public key, to list under its keys in the agent registry: ${AGENT_KEY_ID}:${agent.publicKeyHex}`);
  ctx.out(`GATEHOUSE_AGENT_KEY=${AGENT_KEY_ID}:${agent.privateKeyHex}`);
  const agentsFile = values['agents-file'];
  if (agentsFile) {
    const file = resolve(agentsFile);
    writeDevAgentRegistry(file, sampleAgents(resolve(values.examples ?? 'examples')), {
      keyId: AGENT_KEY_ID,
      publicKeyHex: agent.publicKeyHex,
    });
    // Quoted when needed: the dev stack sources this file into a shell.
    ctx.out(`GATEHOUSE_AGENTS_FILE=${/^[A-Za-z0-9_./-]+$/.test(file) ? file : `'${file.replace(/'/g, `'\\''`)}'`}`);
  }
}
