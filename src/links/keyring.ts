/**
 * HMAC keys for reviewer links. Several keys live side by side so a secret can be rotated without
 * breaking links already in people's inboxes: the first key signs new links, every listed key
 * verifies, and a key is dropped from the list only after the longest link lifetime has passed.
 */
import { randomBytes } from 'node:crypto';
import { decodeBase64urlStrict } from './base64url';

/** Key ids appear in every link, so they stay short and URL-safe. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** 256 bits: the HMAC-SHA256 block of security; shorter secrets are guessable offline from one link. */
export const MIN_LINK_SECRET_BYTES = 32;

/** The link keys in force: one signs, all verify. */
export interface LinkKeyring {
  /** Key id that signs new links; always present in {@link LinkKeyring.keys}. */
  readonly signingKeyId: string;
  /** Every accepted key id → its secret. */
  readonly keys: ReadonlyMap<string, Buffer>;
}

/**
 * Thrown when a link keyring specification cannot be used. Lists every problem at once; the
 * secrets themselves never appear in the message, since start-up errors end up in logs.
 */
export class LinkKeyringError extends Error {
  override readonly name = 'LinkKeyringError';

  constructor(readonly problems: readonly string[]) {
    super(`link keyring: ${problems.join('; ')}`);
  }
}

/**
 * Parses `"kid1:secret1,kid2:secret2"` (secrets are unpadded base64url of at least 32 bytes).
 * The first entry signs.
 *
 * @throws {@link LinkKeyringError} when the list is empty, an entry is not `kid:secret`, a key id
 * is invalid or repeated, or a secret is not canonical base64url or too short.
 */
export function parseLinkKeyring(spec: string): LinkKeyring {
  const problems: string[] = [];
  const keys = new Map<string, Buffer>();
  if (spec.trim() === '') {
    throw new LinkKeyringError(['is empty; expected "kid:secret" entries separated by commas']);
  }
  spec.split(',').forEach((rawEntry, index) => {
    const entry = rawEntry.trim();
    const where = `entry ${index + 1}`;
    if (entry === '') {
      problems.push(`${where} is empty (stray comma?)`);
      return;
    }
    const colon = entry.indexOf(':');
    if (colon < 0) {
      // Without a colon the entry may be a bare secret, so it is not quoted back.
      problems.push(`${where} has no ":" between key id and secret`);
      return;
    }
    const keyId = entry.slice(0, colon).trim();
    const secretText = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(keyId)) {
      // An invalid key id may be a secret pasted in the wrong place: describe it, never echo it.
      problems.push(`${where}: key id must be 1-32 characters of A-Z a-z 0-9 _ -`);
      return;
    }
    if (keys.has(keyId)) {
      problems.push(`${where}: key id "${keyId}" appears more than once`);
      return;
    }
    const secret = decodeBase64urlStrict(secretText);
    if (!secret) {
      problems.push(`key "${keyId}": secret is not canonical unpadded base64url`);
      return;
    }
    if (secret.length < MIN_LINK_SECRET_BYTES) {
      problems.push(`key "${keyId}": secret is ${secret.length} bytes, needs at least ${MIN_LINK_SECRET_BYTES}`);
      return;
    }
    keys.set(keyId, secret);
  });
  const signingKeyId = keys.keys().next().value;
  if (problems.length > 0 || signingKeyId === undefined) {
    throw new LinkKeyringError(problems.length > 0 ? problems : ['has no usable key']);
  }
  return { signingKeyId, keys };
}

/** A fresh link secret (32 random bytes, base64url) to put after `kid:` in the keyring. */
export function generateLinkSecret(): string {
  return randomBytes(MIN_LINK_SECRET_BYTES).toString('base64url');
}
