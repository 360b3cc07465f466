/**
 * CSRF protection for the decision form: a signed double-submit cookie bound to the link nonce.
 *
 * The GET that renders the form sets a random value in an HttpOnly, SameSite=Strict cookie scoped
 * to that link's path, and puts HMAC(secret, link nonce, cookie value) in a hidden field. The POST
 * must bring both, and they must match for *this* link. A cross-site page can neither read the
 * cookie nor compute the field (it lacks the secret), and a field lifted from one link is useless
 * for another. The Sec-Fetch-Site / Origin check (`same-origin.ts`) is a second, independent layer.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { LinkKeyring } from '../links/keyring';
import { CsrfError } from './errors';

/** Name of the cookie; its Path is the link's own path, so two open links never share one. */
export const CSRF_COOKIE = 'gatehouse_csrf';
/** Name of the hidden form field. */
export const CSRF_FIELD = 'csrf';
/** Long enough to read the evidence and think; short enough that a stolen cookie soon dies. */
export const CSRF_COOKIE_MAX_AGE_MS = 2 * 60 * 60 * 1000;

const COOKIE_BYTES = 16;
const FIELD_BYTES = 32;
const LABEL = 'gatehouse csrf v1';
/** 16 random bytes as unpadded base64url. */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{22}$/;

/** Issues and checks CSRF pairs. */
export interface CsrfGuard {
  /**
   * A pair for a form rendered for the link with this nonce. Passing the cookie the browser already
   * holds keeps it, so a second tab on the same link does not invalidate the first one's form.
   */
  issue(linkNonce: string, existingCookie?: string): { cookie: string; field: string };
  /**
   * @throws {@link CsrfError} when the cookie or field is missing or they do not match this link.
   */
  verify(linkNonce: string, cookie: string | undefined, field: unknown): void;
}

/**
 * Derives the CSRF secret from the link keyring's signing key (HKDF with its own label), so every
 * replica of the service agrees on it without another secret to configure, and it is never the
 * link-signing key itself.
 */
export function deriveCsrfSecret(keyring: LinkKeyring): Buffer {
  const key = keyring.keys.get(keyring.signingKeyId);
  if (!key) throw new TypeError('link keyring has no secret for its signing key');
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), LABEL, 32));
}

export function createCsrfGuard(secret: Buffer): CsrfGuard {
  if (secret.length < 32) throw new RangeError('CSRF secret must be at least 32 bytes');
  const fieldFor = (linkNonce: string, cookie: string): Buffer =>
    createHmac('sha256', secret).update(`${LABEL}\n${linkNonce}\n${cookie}`, 'utf8').digest();
  return {
    issue(linkNonce, existingCookie) {
      // Reusing a cookie someone else planted gains them nothing: the field needs our secret.
      const cookie = existingCookie && COOKIE_VALUE.test(existingCookie) ? existingCookie : randomBytes(COOKIE_BYTES).toString('base64url');
      return { cookie, field: fieldFor(linkNonce, cookie).toString('base64url') };
    },
    verify(linkNonce, cookie, field) {
      if (!cookie) throw new CsrfError('missing_cookie');
      if (typeof field !== 'string' || field === '') throw new CsrfError('missing_field');
      const given = Buffer.from(field, 'base64url');
      // timingSafeEqual throws on a length mismatch; settle the length first.
      if (given.length !== FIELD_BYTES || !timingSafeEqual(given, fieldFor(linkNonce, cookie))) {
        throw new CsrfError('mismatch');
      }
    },
  };
}

/** The first value of a cookie in a `Cookie` header; the most specific Path comes first. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
