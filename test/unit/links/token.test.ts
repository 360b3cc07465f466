import { createHmac } from 'node:crypto';
import { generateLinkSecret, parseLinkKeyring, type LinkKeyring } from '../../../src/links/keyring';
import {
  LinkTokenError,
  MAX_LINK_TOKEN_LENGTH,
  newNonce,
  signLinkToken,
  verifyLinkToken,
  type LinkClaims,
  type LinkTokenErrorCode,
} from '../../../src/links/token';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const nowSec = NOW / 1000;

function claims(overrides: Partial<LinkClaims> = {}): LinkClaims {
  return { wf: 'payment.refund:p-1', round: 1, sub: 'alice', role: 'finance', exp: nowSec + 3600, nonce: newNonce(), ...overrides };
}

function codeOf(run: () => unknown): LinkTokenErrorCode {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(LinkTokenError);
    return (err as LinkTokenError).code;
  }
  throw new Error('expected a LinkTokenError');
}

/** A token with any payload text, MAC'd correctly with `secret`: to reach the checks after the MAC. */
function forge(kid: string, payload: string, secret: Buffer): string {
  const signed = `v1.${kid}.${payload}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

describe('link tokens', () => {
  let ring: LinkKeyring;
  beforeEach(() => {
    ring = parseLinkKeyring(`k1:${generateLinkSecret()}`);
  });

  it('verifies the claims it signed', () => {
    const c = claims({ nbf: nowSec - 10 });
    const token = signLinkToken(c, ring);
    expect(token).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyLinkToken(token, ring, NOW)).toEqual(c);
  });

  it('refuses a token whose MAC was changed', () => {
    const token = signLinkToken(claims(), ring);
    const mac = token.split('.')[3]!;
    const flipped = mac.slice(0, 10) + (mac[10] === 'A' ? 'B' : 'A') + mac.slice(11);
    expect(codeOf(() => verifyLinkToken(token.replace(mac, flipped), ring, NOW))).toBe('bad_signature');
  });

  it('refuses a changed payload carrying the old MAC', () => {
    const token = signLinkToken(claims(), ring);
    const [v, kid, payload, mac] = token.split('.') as [string, string, string, string];
    const original = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LinkClaims;
    const swapped = Buffer.from(JSON.stringify({ ...original, sub: 'mallory' })).toString('base64url');
    expect(codeOf(() => verifyLinkToken([v, kid, swapped, mac].join('.'), ring, NOW))).toBe('bad_signature');
  });

  it('refuses truncated tokens as malformed', () => {
    const token = signLinkToken(claims(), ring);
    expect(codeOf(() => verifyLinkToken(token.slice(0, -1), ring, NOW))).toBe('malformed');
    expect(codeOf(() => verifyLinkToken(token.slice(0, -10), ring, NOW))).toBe('malformed');
    expect(codeOf(() => verifyLinkToken(token.slice(0, token.lastIndexOf('.')), ring, NOW))).toBe('malformed');
  });

  it('refuses a MAC in non-canonical base64url that Node would decode to the same bytes', () => {
    const token = signLinkToken(claims(), ring);
    const mac = token.split('.')[3]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // The last of 43 characters carries 4 data bits and 2 bits that must be zero; set one of those.
    const sloppy = mac.slice(0, -1) + alphabet[alphabet.indexOf(mac.at(-1)!) + 1]!;
    expect(Buffer.from(sloppy, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
    expect(codeOf(() => verifyLinkToken(token.replace(mac, sloppy), ring, NOW))).toBe('malformed');
    expect(codeOf(() => verifyLinkToken(`${token}=`, ring, NOW))).toBe('malformed');
  });

  it('refuses a MAC of the wrong length without throwing from timingSafeEqual', () => {
    const token = signLinkToken(claims(), ring);
    const mac = token.split('.')[3]!;
    const shortMac = Buffer.alloc(16, 1).toString('base64url');
    expect(codeOf(() => verifyLinkToken(token.replace(mac, shortMac), ring, NOW))).toBe('malformed');
    expect(codeOf(() => verifyLinkToken(token.replace(mac, mac + mac), ring, NOW))).toBe('malformed');
  });

  it('refuses garbage as malformed', () => {
    for (const garbage of ['', 'hello', '....', 'v1.k1.!!!.###', 'v2.k1.e30.AAAA', 'v1.k 1.e30.AAAA', 'v1.k1.a.b.c']) {
      expect(codeOf(() => verifyLinkToken(garbage, ring, NOW))).toBe('malformed');
    }
  });

  it('refuses a token longer than the limit before looking at it', () => {
    const long = `v1.k1.${'A'.repeat(MAX_LINK_TOKEN_LENGTH)}.${'A'.repeat(43)}`;
    expect(codeOf(() => verifyLinkToken(long, ring, NOW))).toBe('malformed');
  });

  it('keeps tokens with every claim at its maximum size within the length limit', () => {
    const ring32 = parseLinkKeyring(`${'k'.repeat(32)}:${generateLinkSecret()}`);
    const largest = claims({
      wf: 'w'.repeat(300),
      sub: 's'.repeat(128),
      role: 'r'.repeat(64),
      nonce: 'n'.repeat(128),
      nbf: nowSec,
      exp: 9_999_999_999,
      round: Number.MAX_SAFE_INTEGER,
    });
    const token = signLinkToken(largest, ring32);
    expect(token.length).toBeLessThanOrEqual(MAX_LINK_TOKEN_LENGTH);
    expect(verifyLinkToken(token, ring32, NOW)).toEqual(largest);
  });

  it('checks the MAC before it parses the payload', () => {
    const secret = ring.keys.get('k1')!;
    const notJson = Buffer.from('{not json').toString('base64url');
    expect(codeOf(() => verifyLinkToken(forge('k1', notJson, secret), ring, NOW))).toBe('malformed');
    expect(codeOf(() => verifyLinkToken(forge('k1', notJson, Buffer.alloc(32, 9)), ring, NOW))).toBe('bad_signature');
  });

  it('refuses correctly signed claims that do not match the schema', () => {
    const secret = ring.keys.get('k1')!;
    const bad = (obj: unknown) => forge('k1', Buffer.from(JSON.stringify(obj)).toString('base64url'), secret);
    expect(codeOf(() => verifyLinkToken(bad({ ...claims(), round: 0 }), ring, NOW))).toBe('malformed');
    expect(codeOf(() => verifyLinkToken(bad({ ...claims(), nonce: 'short' }), ring, NOW))).toBe('malformed');
    expect(codeOf(() => verifyLinkToken(bad({ ...claims(), admin: true }), ring, NOW))).toBe('malformed');
  });

  it('refuses an expired token', () => {
    const token = signLinkToken(claims({ exp: nowSec }), ring);
    expect(codeOf(() => verifyLinkToken(token, ring, NOW))).toBe('expired');
    expect(verifyLinkToken(token, ring, NOW - 1).sub).toBe('alice');
  });

  it('refuses a token before its not-before time, allowing 30 seconds of clock skew', () => {
    expect(codeOf(() => verifyLinkToken(signLinkToken(claims({ nbf: nowSec + 31 }), ring), ring, NOW))).toBe('not_yet_valid');
    expect(verifyLinkToken(signLinkToken(claims({ nbf: nowSec + 30 }), ring), ring, NOW).sub).toBe('alice');
  });

  it('refuses a token signed with an unknown key id', () => {
    const other = parseLinkKeyring(`k9:${generateLinkSecret()}`);
    expect(codeOf(() => verifyLinkToken(signLinkToken(claims(), other), ring, NOW))).toBe('unknown_key');
  });

  it('refuses a token whose key id is known but whose secret was replaced', () => {
    const replaced = parseLinkKeyring(`k1:${generateLinkSecret()}`);
    expect(codeOf(() => verifyLinkToken(signLinkToken(claims(), replaced), ring, NOW))).toBe('bad_signature');
  });

  it('accepts tokens of every key still in the ring and refuses those of a rotated-out key', () => {
    const oldSecret = generateLinkSecret();
    const retiringSecret = generateLinkSecret();
    const before = parseLinkKeyring(`old:${oldSecret}`);
    const before2 = parseLinkKeyring(`retiring:${retiringSecret}`);
    const after = parseLinkKeyring(`new:${generateLinkSecret()},retiring:${retiringSecret}`);

    expect(after.signingKeyId).toBe('new');
    expect(verifyLinkToken(signLinkToken(claims(), before2), after, NOW).sub).toBe('alice');
    expect(codeOf(() => verifyLinkToken(signLinkToken(claims(), before), after, NOW))).toBe('unknown_key');
  });

  it('keeps its error messages free of token contents', () => {
    const token = signLinkToken(claims({ exp: nowSec - 1 }), ring);
    try {
      verifyLinkToken(token, ring, NOW);
    } catch (err) {
      expect((err as Error).message).toBe('link has expired');
      expect((err as Error).name).toBe('LinkTokenError');
    }
    expect.assertions(2);
  });

  it('refuses to sign claims that would not verify', () => {
    expect(() => signLinkToken(claims({ round: 0 }), ring)).toThrow();
    expect(() => signLinkToken(claims({ nonce: 'x' }), ring)).toThrow();
  });

  it('makes nonces of at least 16 random bytes', () => {
    const nonce = newNonce();
    expect(Buffer.from(nonce, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(newNonce()).not.toBe(nonce);
  });
});
