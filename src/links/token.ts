/**
 * Reviewer link tokens: `v1.<kid>.<base64url(claims JSON)>.<base64url(HMAC-SHA256)>`, the MAC
 * covering `v1.<kid>.<payload>`. A token is a reusable bearer capability until it expires; it only
 * lets its holder *see* the decision page, and the workflow still checks every decision.
 *
 * Verification order is part of the security design: the MAC is checked before the payload is
 * decoded or parsed, so a forged token never reaches JSON.parse or zod, and every failure maps to
 * one error class whose message says nothing about which check failed beyond a short code.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SubjectIdSchema } from '../domain/proposal';
import { decodeBase64urlStrict, encodeBase64url } from './base64url';
import type { LinkKeyring } from './keyring';

const VERSION = 'v1';

/** Longer tokens are refused before any work: claims are small, and URLs get cut past ~2 KB. */
export const MAX_LINK_TOKEN_LENGTH = 2048;

/** A server whose clock runs a little behind must not refuse a link minted a moment ago. */
export const NOT_BEFORE_SKEW_MS = 30_000;

const MAC_BYTES = 32;
const NONCE_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const unixSeconds = z.number().int().positive();

/** What a link grants: one reviewer, in one role, one round of one workflow, until `exp`. */
export const LinkClaimsSchema = z.strictObject({
  /** Workflow id of the approval. */
  wf: z.string().min(1).max(300),
  /** Review round; a link from an earlier round is stale once the proposal is revised. */
  round: z.number().int().min(1),
  /** Stable subject id of the reviewer the link was mailed to. */
  sub: SubjectIdSchema,
  /** Role the reviewer decides in. */
  role: z.string().min(1).max(64),
  /** Expiry, unix seconds. */
  exp: unixSeconds,
  /** Not valid before, unix seconds. */
  nbf: unixSeconds.optional(),
  /** ≥ 16 random bytes, base64url: makes each link unique and lets the server remember used ones. */
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,128}$/, 'at least 16 random bytes as base64url'),
  /** The worker's grant for this link, `<keyId>.<hex signature>` (see link-issuer.ts). */
  grant: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}\.[0-9a-f]{128}$/)
    .optional(),
});
export type LinkClaims = z.infer<typeof LinkClaimsSchema>;

/** Why a link token was refused. The HTTP layer shows one uniform page for all of them. */
export const LinkTokenErrorCode = {
  malformed: 'malformed',
  unknownKey: 'unknown_key',
  badSignature: 'bad_signature',
  expired: 'expired',
  notYetValid: 'not_yet_valid',
} as const;
export type LinkTokenErrorCode = (typeof LinkTokenErrorCode)[keyof typeof LinkTokenErrorCode];

const MESSAGES: Record<LinkTokenErrorCode, string> = {
  malformed: 'link token is malformed',
  unknown_key: 'link token key is not accepted',
  bad_signature: 'link token signature is invalid',
  expired: 'link has expired',
  not_yet_valid: 'link is not valid yet',
};

/**
 * Thrown when a link token is refused. `code` says which check failed; the message stays generic
 * because it may reach a page or a log that an attacker can read.
 */
export class LinkTokenError extends Error {
  override readonly name = 'LinkTokenError';

  constructor(
    readonly code: LinkTokenErrorCode,
    options?: { cause?: unknown },
  ) {
    super(MESSAGES[code], options);
  }
}

/** A fresh link nonce: 16 random bytes, base64url. */
export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64url');
}

/**
 * Signs claims with the keyring's signing key.
 *
 * @throws ZodError when the claims do not match {@link LinkClaimsSchema}; a link we cannot verify
 * later must never be mailed.
 */
export function signLinkToken(claims: LinkClaims, keyring: LinkKeyring): string {
  const secret = keyring.keys.get(keyring.signingKeyId);
  if (!secret) {
    // parseLinkKeyring never builds such a keyring; a hand-made one could.
    throw new TypeError(`link keyring has no secret for its signing key "${keyring.signingKeyId}"`);
  }
  const payload = encodeBase64url(JSON.stringify(LinkClaimsSchema.parse(claims)));
  const signed = `${VERSION}.${keyring.signingKeyId}.${payload}`;
  // The schema's length caps keep every token well under MAX_LINK_TOKEN_LENGTH (a test pins it).
  return `${signed}.${encodeBase64url(mac(secret, signed))}`;
}

/**
 * Checks a link token and returns its claims.
 *
 * @param nowMs the current time in epoch milliseconds (passed in so tests and callers control it)
 * @throws {@link LinkTokenError} with code `malformed`, `unknown_key`, `bad_signature`, `expired`
 * or `not_yet_valid`.
 */
export function verifyLinkToken(token: string, keyring: LinkKeyring, nowMs: number): LinkClaims {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_LINK_TOKEN_LENGTH) {
    throw new LinkTokenError('malformed');
  }
  const parts = token.split('.');
  if (parts.length !== 4) {
    throw new LinkTokenError('malformed');
  }
  const [version, keyId, payload, macText] = parts as [string, string, string, string];
  if (version !== VERSION || !KEY_ID.test(keyId)) {
    throw new LinkTokenError('malformed');
  }
  const secret = keyring.keys.get(keyId);
  if (!secret) {
    throw new LinkTokenError('unknown_key');
  }
  const given = decodeBase64urlStrict(macText);
  // timingSafeEqual throws on a length mismatch, so the length is settled here, on its own.
  if (!given || given.length !== MAC_BYTES) {
    throw new LinkTokenError('malformed');
  }
  if (!timingSafeEqual(given, mac(secret, `${version}.${keyId}.${payload}`))) {
    throw new LinkTokenError('bad_signature');
  }

  // Only now, with the MAC verified, is the payload ours to decode.
  const json = decodeBase64urlStrict(payload);
  if (!json) {
    throw new LinkTokenError('malformed');
  }
  let claims: LinkClaims;
  try {
    claims = LinkClaimsSchema.parse(JSON.parse(json.toString('utf8')));
  } catch (err) {
    throw new LinkTokenError('malformed', { cause: err });
  }

  if (nowMs >= claims.exp * 1000) {
    throw new LinkTokenError('expired');
  }
  if (claims.nbf !== undefined && nowMs + NOT_BEFORE_SKEW_MS < claims.nbf * 1000) {
    throw new LinkTokenError('not_yet_valid');
  }
  return claims;
}

function mac(secret: Buffer, signed: string): Buffer {
  return createHmac('sha256', secret).update(signed, 'utf8').digest();
}
