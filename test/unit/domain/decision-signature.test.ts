/**
 * The workflow's Ed25519 check takes the public key's point from a precomputed table instead of
 * calling noble's verify; it must give noble's answer for every signature, genuine or not.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import fc from 'fast-check';
import { checkDecisionSignature, decisionSigningBytes } from '../../../src/domain/decision-signature';
import { decisionPayload } from '../../support/decision-payload';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** A rejection with the given comment: the comment is what varies the signed bytes. */
const payload = (comment: string) => decisionPayload({ kind: 'reject', comment });

function littleEndian(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

const seeds = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('decision signature check', () => {
  it('agrees with noble on genuine, tampered and foreign signatures', () => {
    fc.assert(
      fc.property(
        seeds,
        seeds,
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.nat(63),
        fc.nat(7),
        fc.boolean(),
        (seed, otherSeed, comment, byte, bit, foreignKey) => {
          const p = payload(comment);
          const message = decisionSigningBytes(p);
          const signature = ed25519.sign(message, seed);
          const tampered = Uint8Array.from(signature);
          tampered[byte]! ^= 1 << bit;
          const publicKey = ed25519.getPublicKey(foreignKey ? otherSeed : seed);
          const keys = { k1: bytesToHex(publicKey) };
          for (const sig of [signature, tampered]) {
            const ours = checkDecisionSignature({ payload: p, signature: { keyId: 'k1', value: bytesToHex(sig) } }, keys).ok;
            expect(ours).toBe(ed25519.verify(sig, message, publicKey));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses a malleated signature (S + L) as noble does', () => {
    const seed = new Uint8Array(32).fill(3);
    const p = payload('malleable?');
    const message = decisionSigningBytes(p);
    const signature = ed25519.sign(message, seed);
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]!);
    const malleated = Uint8Array.from([...signature.subarray(0, 32), ...littleEndian(s + L)]);
    const publicKey = ed25519.getPublicKey(seed);
    expect(ed25519.verify(malleated, message, publicKey)).toBe(false);
    expect(
      checkDecisionSignature({ payload: p, signature: { keyId: 'k', value: bytesToHex(malleated) } }, { k: bytesToHex(publicKey) }),
    ).toEqual({ ok: false, reason: 'decision signature does not verify' });
  });

  it('refuses unknown key ids, malformed hex and keys that are not curve points', () => {
    const seed = new Uint8Array(32).fill(9);
    const p = payload('x');
    const value = bytesToHex(ed25519.sign(decisionSigningBytes(p), seed));
    const good = bytesToHex(ed25519.getPublicKey(seed));
    expect(checkDecisionSignature({ payload: p, signature: { keyId: 'other', value } }, { k: good }).ok).toBe(false);
    expect(checkDecisionSignature({ payload: p, signature: { keyId: 'k', value: 'zz'.repeat(64) } }, { k: good })).toEqual({
      ok: false,
      reason: 'decision signature is malformed',
    });
    expect(checkDecisionSignature({ payload: p, signature: { keyId: 'k', value: value.slice(2) } }, { k: good })).toEqual({
      ok: false,
      reason: 'decision signature is malformed',
    });
    // y = 2 is not the y of any curve point.
    const notAPoint = bytesToHex(Uint8Array.from([2, ...new Uint8Array(31)]));
    expect(() => ed25519.Point.fromHex(notAPoint)).toThrow();
    expect(checkDecisionSignature({ payload: p, signature: { keyId: 'k', value } }, { k: notAPoint }).ok).toBe(false);
    expect(checkDecisionSignature({ payload: p, signature: { keyId: 'k', value } }, { k: good })).toEqual({ ok: true });
    expect(hexToBytes(value)).toHaveLength(64);
  });
});
