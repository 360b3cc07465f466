/**
 * Encrypts every payload Gatehouse puts into Temporal (proposal params, evidence, decisions,
 * state, summaries) with AES-256-GCM, so history holds ciphertext. Key ids travel with each
 * payload: new payloads use the first key, older ones still open with theirs (rotation).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_HEADER = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown when payload keys are misconfigured or a payload cannot be opened. */
export class PayloadKeyError extends Error {
  override readonly name = 'PayloadKeyError';
}

export interface PayloadKeyring {
  encryptWith: string;
  keys: ReadonlyMap<string, Buffer>;
}

/** `kid:base64-key,…` (32-byte keys); the first one encrypts. */
export function parsePayloadKeys(spec: string): PayloadKeyring {
  const keys = new Map<string, Buffer>();
  const problems: string[] = [];
  for (const [i, entry] of spec
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .entries()) {
    const [kid, secret] = entry.split(':', 2);
    if (!kid || !/^[A-Za-z0-9_-]{1,32}$/.test(kid) || !secret) {
      problems.push(`entry ${i + 1}: expected kid:base64-key`);
      continue;
    }
    const key = Buffer.from(secret, 'base64');
    if (key.length !== 32) problems.push(`key "${kid}": must be 32 bytes of base64 (got ${key.length})`);
    else keys.set(kid, key);
  }
  if (keys.size === 0 && problems.length === 0) problems.push('no keys given');
  if (problems.length > 0) throw new PayloadKeyError(`GATEHOUSE_PAYLOAD_KEYS: ${problems.join('; ')}`);
  return { encryptWith: [...keys.keys()][0]!, keys };
}

export function generatePayloadKey(): string {
  return randomBytes(32).toString('base64');
}

const utf8 = (text: string) => new TextEncoder().encode(text);

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: PayloadKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const kid = this.keyring.encryptWith;
    const key = this.keyring.keys.get(kid)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The key id is authenticated too, so a payload cannot be relabelled to another key.
      cipher.setAAD(Buffer.from(kid));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_HEADER]: utf8(kid) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.['encoding'];
      if (!encoding || new TextDecoder().decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const kidBytes = payload.metadata?.[KEY_ID_HEADER];
      const kid = kidBytes ? new TextDecoder().decode(kidBytes) : '';
      const key = this.keyring.keys.get(kid);
      if (!key) throw new ValueError(`payload encrypted with unknown key id "${kid}"`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(kid));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** The data converter for client, worker and CLI alike; plain when no keys are configured. */
export function dataConverterFor(payloadKeys: string | undefined): { payloadCodecs?: PayloadCodec[] } {
  return payloadKeys ? { payloadCodecs: [new AesGcmPayloadCodec(parsePayloadKeys(payloadKeys))] } : {};
}
