/**
 * `gatehouse keys [--operator <person>]`: fresh keys as environment lines, for a dev env file.
 * The operator key pair is printed both ways: the private half for that person's CLI, the public
 * half registered to them for the worker.
 */
import { parseArgs } from 'node:util';
import { SubjectIdSchema } from '../domain/subject';
import { generateDecisionKeyPair } from '../links/decision-signer';
import { generateLinkSecret } from '../links/keyring';
import { generateSamplingKeySpec } from '../policy/sampling';
import { CliError, ExitCode, type CliContext } from './context';

/** The dev stack's operator: a finance reviewer, so the README's `decide` example works. */
const DEV_OPERATOR = 'fred.finance';

export async function keysCommand(ctx: Pick<CliContext, 'out'>, args: string[] = []): Promise<void> {
  const { values } = parseArgs({ args, options: { operator: { type: 'string' } } });
  const operator = values.operator ?? DEV_OPERATOR;
  if (!SubjectIdSchema.safeParse(operator).success) throw new CliError(`--operator: "${operator}" is not a valid person id`, ExitCode.usage);
  const decision = generateDecisionKeyPair();
  const grant = generateDecisionKeyPair();
  const operatorPair = generateDecisionKeyPair();
  ctx.out(`GATEHOUSE_DECISION_SIGNING_KEY=d1:${decision.privateKeyHex}`);
  ctx.out(`GATEHOUSE_DECISION_PUBLIC_KEYS=d1:${decision.publicKeyHex}`);
  ctx.out(`GATEHOUSE_LINK_KEYS=l1:${generateLinkSecret()}`);
  ctx.out(`GATEHOUSE_LINK_GRANT_KEY=g1:${grant.privateKeyHex}`);
  ctx.out(`GATEHOUSE_OPERATOR_KEYS=${operator}=o1:${operatorPair.publicKeyHex}`);
  ctx.out(`GATEHOUSE_OPERATOR_KEY=o1:${operatorPair.privateKeyHex}`);
  ctx.out(`GATEHOUSE_SAMPLING_KEY=${generateSamplingKeySpec()}`);
}
