/**
 * The worker's link-grant keys: one private key that grants the links this worker mails, and the
 * public keys runs accept grants from. Besides the signing key's own public half, the list may
 * hold the next key (trusted ahead of a switch, so runs refreshed before it accept links the new
 * key grants) and the previous one (trusted after it, so links already mailed still decide).
 */
import type { DecisionPublicKeys } from '../domain/decision-signature';
import { createBytesSigner, DecisionKeyError, parseDecisionPublicKeys, parseDecisionSigningKey, type BytesSigner } from './decision-signer';

export interface LinkGrantKeys {
  /** Grants the links this worker mails (GATEHOUSE_LINK_GRANT_KEY). */
  signer: BytesSigner;
  /** Every grant key runs trust: the signer's public half and GATEHOUSE_LINK_GRANT_PUBLIC_KEYS. */
  trusted: DecisionPublicKeys;
}

/**
 * Parses GATEHOUSE_LINK_GRANT_KEY and GATEHOUSE_LINK_GRANT_PUBLIC_KEYS together: a public entry
 * under the signing key's id must be that key's own public half, or a grant would verify against
 * whichever the run happened to look up.
 *
 * @throws {@link DecisionKeyError} naming the variable, for a bad key, a bad or repeated entry, or
 * a key id the signing key already uses for another key. Private key material never appears.
 */
export function parseLinkGrantKeys(signingSpec: string, publicSpec: string | undefined): LinkGrantKeys {
  const signer = createBytesSigner(parseDecisionSigningKey(signingSpec, 'GATEHOUSE_LINK_GRANT_KEY'), 'GATEHOUSE_LINK_GRANT_KEY');
  const extra = publicSpec && publicSpec.trim() !== '' ? parseDecisionPublicKeys(publicSpec, 'GATEHOUSE_LINK_GRANT_PUBLIC_KEYS') : {};
  const own = extra[signer.keyId];
  if (own !== undefined && own !== signer.publicKeyHex) {
    throw new DecisionKeyError(
      `GATEHOUSE_LINK_GRANT_PUBLIC_KEYS: key id "${signer.keyId}" is the signing key's (GATEHOUSE_LINK_GRANT_KEY) but the public key differs; give the other key an id of its own`,
    );
  }
  return { signer, trusted: { ...extra, [signer.keyId]: signer.publicKeyHex } };
}
