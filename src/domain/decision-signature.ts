/**
 * Ed25519 check of a signed decision. Pure JS (noble), no clock and no I/O, so the workflow can
 * run it deterministically on every update and signal; public keys are safe to keep in history.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from './canonical-hash';
import type { DecisionPayload, SignedDecision } from './decision';

/** Trusted decision-service public keys: key id → hex of the 32-byte Ed25519 public key. */
export type DecisionPublicKeys = Readonly<Record<string, string>>;

/** The exact bytes a decision signature covers. */
export function decisionSigningBytes(payload: DecisionPayload): Uint8Array {
  return utf8ToBytes(`gatehouse-decision-v1\n${canonicalJson(payload)}`);
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function checkDecisionSignature(signed: SignedDecision, keys: DecisionPublicKeys): SignatureCheck {
  const publicKeyHex = Object.prototype.hasOwnProperty.call(keys, signed.signature.keyId)
    ? keys[signed.signature.keyId]
    : undefined;
  if (!publicKeyHex) {
    return { ok: false, reason: `decision signed with unknown key id "${signed.signature.keyId}"` };
  }
  try {
    const valid = ed25519.verify(
      hexToBytes(signed.signature.value),
      decisionSigningBytes(signed.payload),
      hexToBytes(publicKeyHex),
    );
    return valid ? { ok: true } : { ok: false, reason: 'decision signature does not verify' };
  } catch {
    return { ok: false, reason: 'decision signature is malformed' };
  }
}
