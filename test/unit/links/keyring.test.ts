import { generateLinkSecret, LinkKeyringError, MIN_LINK_SECRET_BYTES, parseLinkKeyring } from '../../../src/links/keyring';

const secret = (byte: number, length = MIN_LINK_SECRET_BYTES) => Buffer.alloc(length, byte).toString('base64url');

function problemsOf(spec: string): string {
  try {
    parseLinkKeyring(spec);
  } catch (err) {
    expect(err).toBeInstanceOf(LinkKeyringError);
    return (err as LinkKeyringError).message;
  }
  throw new Error('expected parseLinkKeyring to throw');
}

describe('parseLinkKeyring', () => {
  it('signs with the first key and keeps every key for verification', () => {
    const ring = parseLinkKeyring(`new:${secret(1)}, old:${secret(2)}`);
    expect(ring.signingKeyId).toBe('new');
    expect([...ring.keys.keys()]).toEqual(['new', 'old']);
    expect(ring.keys.get('old')).toEqual(Buffer.alloc(32, 2));
  });

  it('refuses an empty specification', () => {
    expect(problemsOf('  ')).toMatch(/empty/);
  });

  it('refuses a secret shorter than 32 bytes without echoing it', () => {
    const short = secret(7, 31);
    const message = problemsOf(`k1:${short}`);
    expect(message).toMatch(/k1.*31 bytes.*at least 32/);
    expect(message).not.toContain(short);
  });

  it('refuses an invalid key id without echoing it', () => {
    const message = problemsOf(`bad.kid:${secret(1)}`);
    expect(message).toMatch(/key id must be/);
    expect(message).not.toContain('bad.kid');
    expect(problemsOf(`${'k'.repeat(33)}:${secret(1)}`)).toMatch(/key id must be/);
  });

  it('refuses an entry without a colon without echoing it', () => {
    const bare = secret(3);
    const message = problemsOf(bare);
    expect(message).toMatch(/no ":"/);
    expect(message).not.toContain(bare);
  });

  it('refuses a secret that is not canonical base64url', () => {
    expect(problemsOf(`k1:${secret(1)}=`)).toMatch(/not canonical/);
    expect(problemsOf(`k1:${Buffer.alloc(32, 1).toString('base64')}+/`)).toMatch(/not canonical/);
  });

  it('refuses a repeated key id and a stray comma, listing both problems', () => {
    const message = problemsOf(`k1:${secret(1)},,k1:${secret(2)}`);
    expect(message).toMatch(/entry 2 is empty/);
    expect(message).toMatch(/"k1" appears more than once/);
  });
});

describe('generateLinkSecret', () => {
  it('produces distinct secrets that parse as keyring entries', () => {
    const a = generateLinkSecret();
    const b = generateLinkSecret();
    expect(a).not.toBe(b);
    expect(parseLinkKeyring(`k1:${a}`).keys.get('k1')).toHaveLength(32);
  });
});
