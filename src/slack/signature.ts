/**
 * Slack's request signing (v0): `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + ts + ":" + raw body)>`
 * with `X-Slack-Request-Timestamp` in unix seconds. Checked over the raw bytes before anything
 * parses the body, with no exception path (not for `ssl_check`, not for a URL verification).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's own advice: refuse requests whose timestamp is more than five minutes off. */
export const SLACK_TIMESTAMP_TOLERANCE_S = 300;

const SIGNATURE = /^v0=([0-9a-f]{64})$/;
const TIMESTAMP = /^[0-9]{1,12}$/;

export const SlackSignatureFailure = {
  missing: 'missing',
  malformed: 'malformed',
  stale: 'stale',
  mismatch: 'mismatch',
  replayed: 'replayed',
} as const;
export type SlackSignatureFailure = (typeof SlackSignatureFailure)[keyof typeof SlackSignatureFailure];

/**
 * Thrown when a request does not carry a valid, fresh Slack signature, or repeats one already
 * seen. `reason` is for the log; the answer is one uniform 401.
 */
export class SlackSignatureError extends Error {
  override readonly name = 'SlackSignatureError';
  constructor(readonly reason: SlackSignatureFailure) {
    super('the request is not signed by Slack');
  }
}

export interface SignedRequest {
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
}

/** `v0=<hex>` for this body at this time; what Slack sends, and what tests send as Slack. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:`);
  mac.update(rawBody);
  return `v0=${mac.digest('hex')}`;
}

/**
 * @throws {@link SlackSignatureError} unless the signature is Slack's for these exact bytes and
 * the timestamp is within {@link SLACK_TIMESTAMP_TOLERANCE_S} of `nowMs`.
 */
export function verifySlackSignature(signingSecret: string, request: SignedRequest, nowMs: number): void {
  const { timestamp, signature } = request;
  if (!timestamp || !signature) throw new SlackSignatureError('missing');
  const given = SIGNATURE.exec(signature)?.[1];
  if (!given || !TIMESTAMP.test(timestamp)) throw new SlackSignatureError('malformed');
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SLACK_TIMESTAMP_TOLERANCE_S) throw new SlackSignatureError('stale');
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, request.rawBody).slice(3), 'hex');
  // Both are 32 bytes here (the regex fixed the length), so timingSafeEqual cannot throw.
  if (!timingSafeEqual(Buffer.from(given, 'hex'), expected)) throw new SlackSignatureError('mismatch');
}
