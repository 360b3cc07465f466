/** The CSRF pair and the browser-origin check, without a server. */
import { randomBytes } from 'node:crypto';
import { createCsrfGuard, deriveCsrfSecret, readCookie } from '../../src/http/csrf';
import { CsrfError } from '../../src/http/errors';
import { checkSameOrigin } from '../../src/http/same-origin';
import { generateLinkSecret, parseLinkKeyring } from '../../src/links/keyring';

const guard = createCsrfGuard(randomBytes(32));

function reason(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof CsrfError) return err.reason;
    throw err;
  }
}

describe('CSRF guard', () => {
  it('accepts the pair it issued for the same link nonce', () => {
    const { cookie, field } = guard.issue('nonce-aaaaaaaaaaaaaaaaaaaa');
    expect(reason(() => guard.verify('nonce-aaaaaaaaaaaaaaaaaaaa', cookie, field))).toBeUndefined();
  });

  it('refuses a missing cookie, a missing field, another link, another cookie and a truncated field', () => {
    const { cookie, field } = guard.issue('nonce-a');
    expect(reason(() => guard.verify('nonce-a', undefined, field))).toBe('missing_cookie');
    expect(reason(() => guard.verify('nonce-a', cookie, undefined))).toBe('missing_field');
    expect(reason(() => guard.verify('nonce-a', cookie, ['x']))).toBe('missing_field');
    expect(reason(() => guard.verify('nonce-b', cookie, field))).toBe('mismatch');
    expect(reason(() => guard.verify('nonce-a', guard.issue('nonce-a').cookie, field))).toBe('mismatch');
    expect(reason(() => guard.verify('nonce-a', cookie, field.slice(0, 10)))).toBe('mismatch');
  });

  it('keeps the cookie a browser already holds, so two tabs on one link both work', () => {
    const first = guard.issue('nonce-a');
    const second = guard.issue('nonce-a', first.cookie);
    expect(second.cookie).toBe(first.cookie);
    expect(reason(() => guard.verify('nonce-a', first.cookie, first.field))).toBeUndefined();
    expect(reason(() => guard.verify('nonce-a', second.cookie, second.field))).toBeUndefined();
    expect(guard.issue('nonce-a', 'not a cookie value').cookie).not.toBe('not a cookie value');
  });

  it('refuses a field made with another secret', () => {
    const other = createCsrfGuard(randomBytes(32)).issue('nonce-a');
    expect(reason(() => guard.verify('nonce-a', other.cookie, other.field))).toBe('mismatch');
  });

  it('derives the same secret from the same link keys, and a different one from others', () => {
    const spec = `k1:${generateLinkSecret()}`;
    expect(deriveCsrfSecret(parseLinkKeyring(spec)).equals(deriveCsrfSecret(parseLinkKeyring(spec)))).toBe(true);
    expect(deriveCsrfSecret(parseLinkKeyring(spec)).equals(deriveCsrfSecret(parseLinkKeyring(`k1:${generateLinkSecret()}`)))).toBe(false);
  });

  it('reads a cookie from a Cookie header', () => {
    expect(readCookie('a=1; gatehouse_csrf=abc; b=2', 'gatehouse_csrf')).toBe('abc');
    expect(readCookie('xgatehouse_csrf=abc', 'gatehouse_csrf')).toBeUndefined();
    expect(readCookie(undefined, 'gatehouse_csrf')).toBeUndefined();
  });
});

describe('same-origin check', () => {
  const origin = 'https://gatehouse.example';

  it('accepts same-origin fetch metadata, our origin, the null origin of no-referrer pages, and clients without either', () => {
    expect(reason(() => checkSameOrigin({ 'sec-fetch-site': 'same-origin', origin: 'null' }, origin))).toBeUndefined();
    expect(reason(() => checkSameOrigin({ origin }, origin))).toBeUndefined();
    expect(reason(() => checkSameOrigin({}, origin))).toBeUndefined();
  });

  it('refuses cross-site and same-site metadata and foreign origins', () => {
    expect(reason(() => checkSameOrigin({ 'sec-fetch-site': 'cross-site' }, origin))).toBe('cross_site');
    expect(reason(() => checkSameOrigin({ 'sec-fetch-site': 'same-site' }, origin))).toBe('cross_site');
    expect(reason(() => checkSameOrigin({ 'sec-fetch-site': 'none' }, origin))).toBe('cross_site');
    expect(reason(() => checkSameOrigin({ origin: 'https://evil.example' }, origin))).toBe('cross_site');
    expect(reason(() => checkSameOrigin({ origin: 'http://gatehouse.example' }, origin))).toBe('cross_site');
  });
});
