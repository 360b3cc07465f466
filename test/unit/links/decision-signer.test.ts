import type { DecisionPayload, SignedDecision } from '../../../src/domain/decision';
import { checkDecisionSignature } from '../../../src/domain/decision-signature';
import {
  createDecisionSigner,
  DecisionKeyError,
  generateDecisionKeyPair,
  parseDecisionPublicKeys,
  parseDecisionSigningKey,
} from '../../../src/links/decision-signer';
import { decisionPayload } from '../../support/decision-payload';

const payload = decisionPayload();

describe('decision signer', () => {
  const keys = generateDecisionKeyPair();
  const signer = createDecisionSigner({ keyId: 'd1', privateKeyHex: keys.privateKeyHex });
  const publicKeys = { d1: keys.publicKeyHex };

  it('generates 32-byte keys as hex', () => {
    expect(keys.privateKeyHex).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.publicKeyHex).toMatch(/^[0-9a-f]{64}$/);
    expect(signer.publicKeyHex).toBe(keys.publicKeyHex);
  });

  it('signs decisions that the workflow-side check accepts', () => {
    const signed = signer.sign(payload);
    expect(signed.signature.keyId).toBe('d1');
    expect(signed.signature.value).toMatch(/^[0-9a-f]{128}$/);
    expect(checkDecisionSignature(signed, publicKeys)).toEqual({ ok: true });
  });

  it('produces a signature that fails once any field changes', () => {
    const signed = signer.sign(payload);
    const changed: SignedDecision[] = [
      { ...signed, payload: { ...signed.payload, kind: 'reject', comment: 'no' } },
      { ...signed, payload: { ...signed.payload, round: 2 } },
      { ...signed, payload: { ...signed.payload, reviewer: { id: 'mallory', role: 'finance' } } },
      { ...signed, payload: { ...signed.payload, paramsHash: `sha256:${'b'.repeat(64)}` } },
    ];
    for (const tampered of changed) {
      expect(checkDecisionSignature(tampered, publicKeys).ok).toBe(false);
    }
  });

  it('produces a signature that fails under an unknown key id', () => {
    const signed = signer.sign(payload);
    expect(checkDecisionSignature(signed, { other: keys.publicKeyHex })).toEqual({
      ok: false,
      reason: 'decision signed with unknown key id "d1"',
    });
  });

  it('produces a signature that fails against another public key under the same id', () => {
    const signed = signer.sign(payload);
    expect(checkDecisionSignature(signed, { d1: generateDecisionKeyPair().publicKeyHex }).ok).toBe(false);
  });

  it('throws on a payload the schema refuses, before signing', () => {
    expect(() => signer.sign({ ...payload, kind: 'reject' })).toThrow(/needs a reason/);
  });

  it('signs the parsed payload, so fields the verifier would strip cannot break the signature', () => {
    const signed = signer.sign({ ...payload, extra: 'ignored' } as DecisionPayload);
    expect(signed.payload).not.toHaveProperty('extra');
    expect(checkDecisionSignature(signed, publicKeys)).toEqual({ ok: true });
  });

  it('refuses a malformed private key or key id', () => {
    expect(() => createDecisionSigner({ keyId: 'd1', privateKeyHex: 'abc' })).toThrow(DecisionKeyError);
    expect(() => createDecisionSigner({ keyId: 'd 1', privateKeyHex: keys.privateKeyHex })).toThrow(DecisionKeyError);
  });
});

describe('parseDecisionPublicKeys', () => {
  it('parses a key list and lower-cases the hex', () => {
    const a = generateDecisionKeyPair().publicKeyHex;
    const b = generateDecisionKeyPair().publicKeyHex;
    expect(parseDecisionPublicKeys(`k1:${a.toUpperCase()}, k2:${b}`)).toEqual({ k1: a, k2: b });
  });

  it('refuses keys that are not 64 hex characters, not on the curve, or of small order', () => {
    const good = generateDecisionKeyPair().publicKeyHex;
    expect(() => parseDecisionPublicKeys('k1:abcd')).toThrow(/64 hex/);
    expect(() => parseDecisionPublicKeys(`k1:${'02'.repeat(32)}`)).toThrow(/not a valid Ed25519/);
    expect(() => parseDecisionPublicKeys(`k1:${'00'.repeat(32)}`)).toThrow(/small-order/);
    expect(() => parseDecisionPublicKeys(`k1:${good},k1:${good}`)).toThrow(/more than once/);
    expect(() => parseDecisionPublicKeys('')).toThrow(DecisionKeyError);
    expect(() => parseDecisionPublicKeys(good)).toThrow(/no ":"/);
  });

  it('keeps a key id such as __proto__ as a plain entry', () => {
    const a = generateDecisionKeyPair().publicKeyHex;
    const keys = parseDecisionPublicKeys(`__proto__:${a}`);
    expect(Object.prototype.hasOwnProperty.call(keys, '__proto__')).toBe(true);
  });
});

describe('parseDecisionSigningKey', () => {
  it('parses kid:privatehex into a key the signer accepts', () => {
    const { privateKeyHex, publicKeyHex } = generateDecisionKeyPair();
    const key = parseDecisionSigningKey(` d2:${privateKeyHex.toUpperCase()} `);
    expect(key).toEqual({ keyId: 'd2', privateKeyHex });
    expect(createDecisionSigner(key).publicKeyHex).toBe(publicKeyHex);
  });

  it('refuses a malformed key without echoing the private key', () => {
    const { privateKeyHex } = generateDecisionKeyPair();
    for (const spec of [privateKeyHex, `d2:${privateKeyHex}00`, `bad id:${privateKeyHex}`]) {
      let message = '';
      try {
        parseDecisionSigningKey(spec);
      } catch (err) {
        expect(err).toBeInstanceOf(DecisionKeyError);
        message = (err as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain(privateKeyHex);
    }
  });
});
