/**
 * Strict base64url (RFC 4648 §5, no padding). Node's own decoder is lenient: it skips characters
 * outside the alphabet and ignores stray trailing bits, so many different strings decode to the
 * same bytes. A token or key must have exactly one spelling, so we decode only canonical text.
 */

const BASE64URL_TEXT = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes canonical unpadded base64url; returns `undefined` for anything else (characters outside
 * the alphabet, padding, an impossible length, or non-zero trailing bits).
 */
export function decodeBase64urlStrict(text: string): Buffer | undefined {
  // A length of 4n+1 cannot come from any byte string.
  if (!BASE64URL_TEXT.test(text) || text.length % 4 === 1) {
    return undefined;
  }
  const bytes = Buffer.from(text, 'base64url');
  // Re-encoding catches the one leniency the alphabet check cannot: trailing bits that are not 0.
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** Encodes bytes or UTF-8 text as unpadded base64url. */
export function encodeBase64url(data: Buffer | Uint8Array | string): string {
  return (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data)).toString('base64url');
}
