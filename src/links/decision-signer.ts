/**
 * The decision service's Ed25519 signer (Node side). Temporal's Web UI and CLI can send updates
 * too, so the workflow accepts a decision only with a signature from a key it trusts; this is the
 * one place that holds the private key. Verification lives in `src/domain/decision-signature.ts`
 * because the workflow sandbox runs it.
 */
import { createPrivateKey, sign as signNative } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import { DecisionPayloadSchema, type DecisionPayload, type SignedDecision } from '../domain/decision';
import { decisionSigningBytes, type DecisionPublicKeys } from '../domain/decision-signature';
import { SubjectIdSchema } from '../domain/subject';
import type { OperatorKey } from '../domain/trusted-keys';

/** Key ids travel in every signed decision; DecisionSignatureSchema allows up to 64 characters. */
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** 32 bytes as hex: an Ed25519 seed (private key) or compressed public key. */
const KEY_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Thrown when a decision key or key list is unusable: bad `kid:hex` syntax, a key id outside
 * `[A-Za-z0-9_-]{1,64}`, a repeated key id, or hex that is not a 32-byte Ed25519 key. Private key
 * material never appears in the message.
 */
export class DecisionKeyError extends Error {
  override readonly name = 'DecisionKeyError';
}

/** A fresh key pair, each half as 64 lower-case hex characters. */
export interface DecisionKeyPair {
  privateKeyHex: string;
  publicKeyHex: string;
}

/** The private half of a decision key, with the id verifiers know it by. */
export interface DecisionSigningKey {
  keyId: string;
  privateKeyHex: string;
}

/** Signs decisions with one private key. */
export interface DecisionSigner {
  readonly keyId: string;
  /** Public key to list in `GATEHOUSE_DECISION_PUBLIC_KEYS` so workflows accept this signer. */
  readonly publicKeyHex: string;
  /**
   * Validates the payload, then signs `decisionSigningBytes(payload)`.
   *
   * @throws ZodError when the payload does not match DecisionPayloadSchema.
   */
  sign(payload: DecisionPayload): SignedDecision;
}

/** Generates an Ed25519 key pair for the decision service. */
export function generateDecisionKeyPair(): DecisionKeyPair {
  const privateKey = ed25519.utils.randomSecretKey();
  return { privateKeyHex: bytesToHex(privateKey), publicKeyHex: bytesToHex(ed25519.getPublicKey(privateKey)) };
}

/**
 * Creates a signer from a private key.
 *
 * @throws {@link DecisionKeyError} when the key id or the private key hex is invalid.
 */
/** An Ed25519 key that signs arbitrary bytes (link grants, an operator's decisions). */
export interface BytesSigner {
  readonly keyId: string;
  readonly publicKeyHex: string;
  /** Signature as the domain checks take it: key id and hex of the 64-byte signature. */
  signBytes(message: Uint8Array): { keyId: string; value: string };
}

export function createBytesSigner(key: DecisionSigningKey, what = 'signing key'): BytesSigner {
  checkKeyId(key.keyId, what);
  if (!KEY_HEX.test(key.privateKeyHex)) {
    throw new DecisionKeyError(`${what} "${key.keyId}": private key must be 64 hex characters`);
  }
  const seed = hexToBytes(key.privateKeyHex.toLowerCase());
  const publicKey = ed25519.getPublicKey(seed);
  // Signing runs on every decision POST: node:crypto's native Ed25519 takes ~40 µs where the
  // pure-JS one takes ~0.8 ms, and Ed25519 is deterministic, so the bytes are the same.
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  const keyId = key.keyId;
  return {
    keyId,
    publicKeyHex: bytesToHex(publicKey),
    signBytes: (message) => ({ keyId, value: signNative(null, message, privateKey).toString('hex') }),
  };
}

export function createDecisionSigner(key: DecisionSigningKey): DecisionSigner {
  const signer = createBytesSigner(key, 'decision signing key');
  return {
    keyId: signer.keyId,
    publicKeyHex: signer.publicKeyHex,
    sign(payload) {
      // Sign what the workflow will see: the schema's output, without unknown keys. Signing the
      // raw input would cover fields the verifier strips, and the signature would never verify.
      const parsed = DecisionPayloadSchema.parse(payload);
      return { payload: parsed, signature: signer.signBytes(decisionSigningBytes(parsed)) };
    },
  };
}

/**
 * Parses `"kid:publichex,kid2:publichex"` into the map the workflow verifies against. `what`
 * names the list in error messages.
 *
 * @throws {@link DecisionKeyError} listing every bad entry.
 */
export function parseDecisionPublicKeys(spec: string, what = 'decision public keys'): DecisionPublicKeys {
  const keys = new Map<string, string>();
  const problems: string[] = [];
  const entries = spec.split(',').map((e) => e.trim());
  if (entries.every((e) => e === '')) {
    throw new DecisionKeyError(`${what}: list is empty; expected "kid:hex" entries separated by commas`);
  }
  entries.forEach((entry, index) => {
    const problem = parsePublicKeyEntry(entry, keys);
    if (problem) problems.push(`entry ${index + 1}: ${problem}`);
  });
  if (problems.length > 0) {
    throw new DecisionKeyError(`${what}: ${problems.join('; ')}`);
  }
  // fromEntries defines own properties, so even a key id like "__proto__" stays a plain entry.
  return Object.fromEntries(keys);
}

/**
 * Parses `"kid:privatehex"` (one key: the service signs with exactly one).
 *
 * @throws {@link DecisionKeyError} when the syntax, key id or hex is wrong.
 */
export function parseDecisionSigningKey(spec: string, what = 'decision signing key'): DecisionSigningKey {
  const { keyId, hex } = splitEntry(spec.trim(), what);
  checkKeyId(keyId, what);
  if (!KEY_HEX.test(hex)) {
    throw new DecisionKeyError(`${what} "${keyId}": private key must be 64 hex characters`);
  }
  return { keyId, privateKeyHex: hex.toLowerCase() };
}

/**
 * Parses operators' own public keys, `"person=kid:hex,…"`: each key decides only as the person it
 * is registered to. A person may have several keys (rotation); a key id belongs to one person.
 *
 * @throws {@link DecisionKeyError} listing every bad entry.
 */
export function parseOperatorKeys(spec: string): Record<string, OperatorKey> {
  const keys = new Map<string, string>();
  const owners = new Map<string, string>();
  const problems: string[] = [];
  spec
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .forEach((entry, index) => {
      const eq = entry.indexOf('=');
      const owner = entry.slice(0, eq).trim();
      if (eq < 1 || !SubjectIdSchema.safeParse(owner).success) {
        problems.push(`entry ${index + 1}: expected "person=kid:hex" with a valid person id`);
        return;
      }
      const problem = parsePublicKeyEntry(entry.slice(eq + 1).trim(), keys);
      if (problem) problems.push(`entry ${index + 1}: ${problem}`);
      else owners.set([...keys.keys()].at(-1)!, owner);
    });
  if (problems.length > 0) throw new DecisionKeyError(`operator keys: ${problems.join('; ')}`);
  return Object.fromEntries([...keys].map(([keyId, publicKeyHex]) => [keyId, { owner: owners.get(keyId)!, publicKeyHex }]));
}

function parsePublicKeyEntry(entry: string, keys: Map<string, string>): string | undefined {
  if (entry === '') return 'is empty (stray comma?)';
  const colon = entry.indexOf(':');
  if (colon < 0) return 'has no ":" between key id and key';
  const keyId = entry.slice(0, colon).trim();
  const hex = entry.slice(colon + 1).trim();
  if (!KEY_ID.test(keyId)) return 'key id must be 1-64 characters of A-Z a-z 0-9 _ -';
  if (keys.has(keyId)) return `key id "${keyId}" appears more than once`;
  if (!KEY_HEX.test(hex)) return `key "${keyId}" must be 64 hex characters`;
  try {
    // A typo can still be 64 hex characters: refuse keys that are not points on the curve, and
    // small-order points, which would let anyone forge a signature that verifies.
    if (ed25519.Point.fromHex(hex.toLowerCase()).isSmallOrder()) {
      return `key "${keyId}" is a weak (small-order) Ed25519 public key`;
    }
  } catch {
    return `key "${keyId}" is not a valid Ed25519 public key`;
  }
  keys.set(keyId, hex.toLowerCase());
  return undefined;
}

function splitEntry(entry: string, what: string): { keyId: string; hex: string } {
  const colon = entry.indexOf(':');
  if (colon < 0) {
    // Without a colon the text may be the bare private key: describe the problem, never echo it.
    throw new DecisionKeyError(`${what}: expected "kid:hex"`);
  }
  return { keyId: entry.slice(0, colon).trim(), hex: entry.slice(colon + 1).trim() };
}

function checkKeyId(keyId: string, what: string): void {
  if (!KEY_ID.test(keyId)) {
    throw new DecisionKeyError(`${what}: key id must be 1-64 characters of A-Z a-z 0-9 _ -`);
  }
}
