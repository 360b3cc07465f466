/**
 * Ed25519 check of a signed decision. Pure JS (noble), no clock and no I/O, so the workflow can
 * run it deterministically on every update and signal; public keys are safe to keep in history.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToNumberLE } from '@noble/curves/utils';
import { sha512 } from '@noble/hashes/sha512';
import { concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from './canonical-hash';
import type { DecisionPayload, SignedDecision } from './decision';

/** Trusted decision-service public keys: key id → hex of the 32-byte Ed25519 public key. */
export type DecisionPublicKeys = Readonly<Record<string, string>>;

/** The exact bytes a decision signature covers. */
export function decisionSigningBytes(payload: DecisionPayload): Uint8Array {
  return utf8ToBytes(`gatehouse-decision-v1\n${canonicalJson(payload)}`);
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * How a signature is checked: {@link checkSignature} (pure JS, for the workflow sandbox) or a
 * native one where Node's crypto is at hand (the commit activity's re-check).
 */
export type SignatureVerifier = (
  what: string,
  signature: { keyId: string; value: string },
  message: Uint8Array,
  keys: DecisionPublicKeys,
) => SignatureCheck;

export function checkDecisionSignature(
  signed: SignedDecision,
  keys: DecisionPublicKeys,
  verify: SignatureVerifier = checkSignature,
): SignatureCheck {
  return verify('decision', signed.signature, decisionSigningBytes(signed.payload), keys);
}

/**
 * Checks an Ed25519 signature (hex) made with one of `keys` (key id → public key hex) over
 * `message`. `what` names the signed thing in the reason.
 */
export function checkSignature(
  what: string,
  signature: { keyId: string; value: string },
  message: Uint8Array,
  keys: DecisionPublicKeys,
): SignatureCheck {
  const publicKeyHex = Object.prototype.hasOwnProperty.call(keys, signature.keyId) ? keys[signature.keyId] : undefined;
  if (!publicKeyHex) return { ok: false, reason: `${what} signed with unknown key id "${signature.keyId}"` };
  const key = trustedKey(publicKeyHex);
  let bytes: Uint8Array;
  try {
    bytes = hexToBytes(signature.value);
  } catch {
    return { ok: false, reason: `${what} signature is malformed` };
  }
  if (!key || bytes.length !== 64) return { ok: false, reason: `${what} signature is malformed` };
  return verifyWithKey(bytes, message, key) ? { ok: true } : { ok: false, reason: `${what} signature does not verify` };
}

type EdwardsPoint = ReturnType<typeof ed25519.Point.fromHex>;

/** A trusted public key, decoded once, with a table of its multiples. */
interface TrustedKey {
  point: EdwardsPoint;
  bytes: Uint8Array;
}

/**
 * Window of the per-key table: 5.7 ms to build once per key and worker, after which a check
 * takes ~0.45 ms instead of noble's ~1.6 ms (which decodes the key and multiplies it from scratch
 * on every call). The check runs in the update validator, on the path from a click to the commit.
 */
const KEY_TABLE_WINDOW = 4;

/**
 * Decoded trusted keys, shared by every run the worker executes (this module is preloaded into
 * the workflow sandbox, see workflows/shared-modules.ts). An entry is a pure function of the key,
 * so a run gets the same answer with or without it, only sooner; the keys come from the worker's
 * configuration, so the map stays as small as that list.
 */
const trustedKeys = new Map<string, TrustedKey | null>();

function trustedKey(publicKeyHex: string): TrustedKey | null {
  let key = trustedKeys.get(publicKeyHex);
  if (key === undefined) {
    try {
      const point = ed25519.Point.fromHex(publicKeyHex, true).precompute(KEY_TABLE_WINDOW, false);
      key = { point, bytes: point.toBytes() };
    } catch {
      key = null;
    }
    trustedKeys.set(publicKeyHex, key);
  }
  return key;
}

/**
 * Ed25519 verification (RFC 8032 §5.1.7) exactly as noble's `ed25519.verify` does it by default
 * (ZIP-215 point decoding, cofactored equation [8][S]B = [8]R + [8][k]A, S < L), with the public
 * key's point and multiples taken from the table. test/unit/domain/decision-signature.test.ts
 * checks it against noble's own verify on valid, tampered and malleated signatures.
 */
function verifyWithKey(signature: Uint8Array, message: Uint8Array, key: TrustedKey): boolean {
  try {
    const R = ed25519.Point.fromBytes(signature.subarray(0, 32), true);
    // multiplyUnsafe refuses S outside [0, L): a malleated signature fails here.
    const SB = ed25519.Point.BASE.multiplyUnsafe(bytesToNumberLE(signature.subarray(32, 64)));
    const k = ed25519.Point.Fn.create(bytesToNumberLE(sha512(concatBytes(R.toBytes(), key.bytes, message))));
    return R.add(key.point.multiplyUnsafe(k)).subtract(SB).clearCofactor().is0();
  } catch {
    return false;
  }
}
