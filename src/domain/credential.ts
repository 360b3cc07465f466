/**
 * Credentials: the signature an agent or operator attaches to what it signs (checked in
 * agent-auth.ts), and whose credential made a decision, checked the same way by the workflow when
 * the decision arrives and by the commit before it executes.
 */
import { z } from 'zod';
import type { SignedDecision } from './decision';
import { checkDecisionSignature, checkSignature, type SignatureCheck, type SignatureVerifier } from './decision-signature';
import { checkLinkGrant } from './link-grant';
import type { TrustedKeys } from './trusted-keys';

export const CredentialSchema = z.object({
  /** Which of the signer's registered keys signed (several are registered during a rotation). */
  keyId: z.string().min(1).max(64),
  /** Hex of the 64-byte Ed25519 signature. */
  value: z.string().regex(/^[0-9a-f]{128}$/, 'must be 128 lower-case hex characters'),
});
export type Credential = z.infer<typeof CredentialSchema>;

/**
 * The decision names the credential that made it, and that credential must belong to the person
 * deciding: a link decision is signed by the decision service and carries the worker's grant for
 * that person's link (a Slack decision: for that person's card); an operator decision is signed by a key registered to that operator. The
 * decision service's key alone decides as nobody. Without `nowMs` a link's expiry is not checked
 * (the commit re-checks decisions the workflow accepted in time).
 */
export function checkCredential(
  signed: SignedDecision,
  keys: TrustedKeys,
  nowMs: number | undefined,
  verify: SignatureVerifier = checkSignature,
): SignatureCheck {
  const d = signed.payload;
  switch (d.channel) {
    case 'link':
    case 'slack': {
      const signature = checkDecisionSignature(signed, keys.decision, verify);
      return signature.ok ? checkLinkGrant(d, keys.grants, nowMs, d.channel, verify) : signature;
    }
    case 'operator': {
      const key = Object.prototype.hasOwnProperty.call(keys.operators, signed.signature.keyId)
        ? keys.operators[signed.signature.keyId]
        : undefined;
      if (!key) return { ok: false, reason: `no operator key "${signed.signature.keyId}" is registered` };
      if (key.owner !== d.reviewer.id)
        return { ok: false, reason: `operator key "${signed.signature.keyId}" belongs to ${key.owner}, not ${d.reviewer.id}` };
      return checkDecisionSignature(signed, { [signed.signature.keyId]: key.publicKeyHex }, verify);
    }
    default: {
      const unreachable: never = d.channel;
      return { ok: false, reason: `unknown channel ${String(unreachable)}` };
    }
  }
}
