import { DecisionKeyError, generateDecisionKeyPair } from '../../../src/links/decision-signer';
import { parseLinkGrantKeys } from '../../../src/links/grant-keys';

const g1 = generateDecisionKeyPair();
const g2 = generateDecisionKeyPair();

describe('parseLinkGrantKeys', () => {
  it('trusts the signing key alone when no public keys are listed', () => {
    const keys = parseLinkGrantKeys(`g1:${g1.privateKeyHex}`, undefined);
    expect(keys.signer.keyId).toBe('g1');
    expect(keys.trusted).toEqual({ g1: g1.publicKeyHex });
    expect(parseLinkGrantKeys(`g1:${g1.privateKeyHex}`, ' ').trusted).toEqual({ g1: g1.publicKeyHex });
  });

  it('trusts the listed keys beside the signing key, which may list itself', () => {
    const keys = parseLinkGrantKeys(`g2:${g2.privateKeyHex}`, `g1:${g1.publicKeyHex}, g2:${g2.publicKeyHex}`);
    expect(keys.signer.keyId).toBe('g2');
    expect(keys.trusted).toEqual({ g1: g1.publicKeyHex, g2: g2.publicKeyHex });
  });

  it.each([
    [
      'a repeated key id',
      `g1:${g1.publicKeyHex},g1:${g1.publicKeyHex}`,
      /GATEHOUSE_LINK_GRANT_PUBLIC_KEYS: entry 2: key id "g1" appears more than once/,
    ],
    ['bad hex', 'g1:nothex', /GATEHOUSE_LINK_GRANT_PUBLIC_KEYS: entry 1: key "g1" must be 64 hex characters/],
    ['a missing colon', 'g1', /GATEHOUSE_LINK_GRANT_PUBLIC_KEYS: entry 1: has no ":"/],
    ['the signing key id with another key', `g2:${g1.publicKeyHex}`, /GATEHOUSE_LINK_GRANT_PUBLIC_KEYS: key id "g2" is the signing key's/],
  ])('refuses %s, naming the variable', (_what, spec, message) => {
    expect(() => parseLinkGrantKeys(`g2:${g2.privateKeyHex}`, spec)).toThrow(DecisionKeyError);
    expect(() => parseLinkGrantKeys(`g2:${g2.privateKeyHex}`, spec)).toThrow(message);
  });

  it('names GATEHOUSE_LINK_GRANT_KEY for a bad signing key, without echoing it', () => {
    expect(() => parseLinkGrantKeys(g1.privateKeyHex, undefined)).toThrow(/^GATEHOUSE_LINK_GRANT_KEY: expected "kid:hex"$/);
  });
});
