/** `gatehouse keys`: fresh signing, link and sampling keys as environment lines, for a dev env file. */
import { generateDecisionKeyPair } from '../links/decision-signer';
import { generateLinkSecret } from '../links/keyring';
import { generateSamplingKeySpec } from '../policy/sampling';
import type { CliContext } from './context';

export async function keysCommand(ctx: Pick<CliContext, 'out'>): Promise<void> {
  const pair = generateDecisionKeyPair();
  ctx.out(`GATEHOUSE_DECISION_SIGNING_KEY=d1:${pair.privateKeyHex}`);
  ctx.out(`GATEHOUSE_DECISION_PUBLIC_KEYS=d1:${pair.publicKeyHex}`);
  ctx.out(`GATEHOUSE_LINK_KEYS=l1:${generateLinkSecret()}`);
  ctx.out(`GATEHOUSE_SAMPLING_KEY=${generateSamplingKeySpec()}`);
}
