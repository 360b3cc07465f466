/**
 * The sampled-mode draw. The agent chooses the proposal id, and so the workflow id: a draw that
 * anyone can compute from the id lets an agent search for ids that are never reviewed. Keyed
 * with a secret only the workers hold, the draw is still fixed per workflow id (a retried
 * evaluation picks the same way) but cannot be predicted, so no id is better than another.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { decodeBase64urlStrict } from '../links/base64url';

/** Key ids are recorded in every sampled evaluation, so they stay short and plain. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** 256 bits, as for link keys: the whole HMAC-SHA256 strength. */
export const MIN_SAMPLING_SECRET_BYTES = 32;

/** The worker secret the draw is keyed with; the id goes into the run's evaluation, never the secret. */
export interface SamplingKey {
  readonly id: string;
  readonly secret: Buffer;
}

/** Thrown when GATEHOUSE_SAMPLING_KEY cannot be used; the secret never appears in the message. */
export class SamplingKeyError extends Error {
  override readonly name = 'SamplingKeyError';
}

/**
 * Parses `kid:secret` (the secret unpadded base64url of at least 32 bytes).
 *
 * @throws {@link SamplingKeyError} when the id or the secret is malformed or the secret too short.
 */
export function parseSamplingKey(spec: string): SamplingKey {
  const colon = spec.indexOf(':');
  if (colon < 0) throw new SamplingKeyError('sampling key: expected "kid:secret"');
  const id = spec.slice(0, colon).trim();
  if (!KEY_ID.test(id)) throw new SamplingKeyError('sampling key: the key id must be 1-32 letters, digits, "-" or "_"');
  const secret = decodeBase64urlStrict(spec.slice(colon + 1).trim());
  if (!secret) throw new SamplingKeyError(`sampling key "${id}": the secret is not unpadded base64url`);
  if (secret.length < MIN_SAMPLING_SECRET_BYTES) {
    throw new SamplingKeyError(
      `sampling key "${id}": the secret has ${secret.length} bytes; at least ${MIN_SAMPLING_SECRET_BYTES} are needed`,
    );
  }
  return { id, secret };
}

/** A fresh `kid:secret` line value, as `gatehouse keys` prints it. */
export function generateSamplingKeySpec(id = 's1'): string {
  return `${id}:${randomBytes(MIN_SAMPLING_SECRET_BYTES).toString('base64url')}`;
}

/** A key for one process only: dev workers started without GATEHOUSE_SAMPLING_KEY. */
export function ephemeralSamplingKey(): SamplingKey {
  return { id: 'ephemeral', secret: randomBytes(MIN_SAMPLING_SECRET_BYTES) };
}

/** 48 bits of the MAC: a draw finer than any rate a policy can write. */
const DRAW_BITS = 2 ** 48;

/** A number in [0, 1), fixed by the key and the workflow id, that nobody without the key can compute. */
export function samplingDraw(workflowId: string, key: SamplingKey): number {
  const mac = createHmac('sha256', key.secret).update(`gatehouse-sample:v1:${workflowId}`, 'utf8').digest();
  return mac.readUIntBE(0, 6) / DRAW_BITS;
}
