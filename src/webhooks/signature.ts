/**
 * Signing and checking outcome webhooks. The signature covers a timestamp and the raw body
 * (`<unix seconds>.<body>`, HMAC-SHA256), so a captured delivery cannot be replayed after the
 * tolerance window, and a body changed in transit does not verify. Several keys may verify while
 * one signs, so the secret rotates without a window of refused deliveries.
 *
 * Headers of a delivery:
 * - `Gatehouse-Signature: t=<unix seconds>,k=<key id>,v1=<hex>`
 * - `Gatehouse-Delivery: <delivery id>` (the same on every retry: dedupe on it)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { RunOutcomeSchema, type RunOutcome } from '../domain/outcome';
import type { LinkKeyring } from '../links/keyring';

export { parseLinkKeyring as parseWebhookKeyring } from '../links/keyring';

/** `kid:secret,…` keys (as GATEHOUSE_WEBHOOK_KEYS holds them): the first signs, every one verifies. */
export type WebhookKeyring = LinkKeyring;

export const SIGNATURE_HEADER = 'gatehouse-signature';
export const DELIVERY_HEADER = 'gatehouse-delivery';

/** How old a delivery's timestamp may be, either way, before it is refused as a replay. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Thrown when a delivery does not verify: missing or malformed header, unknown key, wrong
 * signature, timestamp outside the window, or a body that is not an outcome.
 */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

function mac(secret: Buffer, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The signature header for `body` sent at `nowMs`, signed with the keyring's signing key. */
export function signWebhook(keys: WebhookKeyring, body: string, nowMs: number = Date.now()): string {
  const secret = keys.keys.get(keys.signingKeyId);
  if (!secret) throw new WebhookVerificationError(`signing key "${keys.signingKeyId}" is not in the keyring`);
  const t = Math.floor(nowMs / 1000);
  return `t=${t},k=${keys.signingKeyId},v1=${mac(secret, t, body)}`;
}

export interface VerifyWebhookInput {
  /** The raw request body, exactly as received (parse it only after it verified). */
  body: string;
  /** The request's headers; names are matched case-insensitively. */
  headers: Record<string, string | string[] | undefined>;
  keys: WebhookKeyring;
  /**
   * The agent whose outcomes this receiver takes. One worker key signs every agent's outcomes and
   * an agent names its own webhook URL, so without this check another agent (or anyone replaying a
   * captured delivery) could hand this receiver a genuine outcome of a run it never proposed,
   * under one of its own proposal ids.
   */
  agentId: string | readonly string[];
  toleranceSeconds?: number;
  nowMs?: number;
}

export interface VerifiedDelivery {
  deliveryId: string;
  outcome: RunOutcome;
}

function header(headers: VerifyWebhookInput['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/**
 * Checks a delivery and returns its outcome. Throws {@link WebhookVerificationError} with the
 * reason when it must be refused (answer 400/401 and do nothing). A verified delivery may still be
 * a retry of one already handled: dedupe on `deliveryId`.
 */
export function verifyWebhook(input: VerifyWebhookInput): VerifiedDelivery {
  verifySignedBody(input);
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.body);
  } catch {
    throw new WebhookVerificationError('body is not JSON');
  }
  const outcome = RunOutcomeSchema.safeParse(parsed);
  if (!outcome.success) throw new WebhookVerificationError('body is not a run outcome');
  const agents: readonly string[] = typeof input.agentId === 'string' ? [input.agentId] : input.agentId;
  if (!agents.includes(outcome.data.agentId))
    throw new WebhookVerificationError(`the outcome is of agent "${outcome.data.agentId.slice(0, 64)}", not of this receiver's`);
  const deliveryId = header(input.headers, DELIVERY_HEADER);
  if (deliveryId !== outcome.data.deliveryId) throw new WebhookVerificationError('delivery header does not match the signed body');
  return { deliveryId, outcome: outcome.data };
}

/**
 * Checks only the signature and its timestamp window, for any signed body (the outcome above,
 * or a deploy request to a deploy webhook). Throws {@link WebhookVerificationError} with the reason.
 */
export function verifySignedBody(input: Omit<VerifyWebhookInput, 'agentId'>): void {
  const signature = header(input.headers, SIGNATURE_HEADER);
  if (!signature) throw new WebhookVerificationError(`no ${SIGNATURE_HEADER} header`);
  const fields = new Map(
    signature.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const t = Number(fields.get('t'));
  const keyId = fields.get('k') ?? '';
  const given = fields.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(given)) throw new WebhookVerificationError('malformed signature header');
  const secret = input.keys.keys.get(keyId);
  if (!secret) throw new WebhookVerificationError(`unknown signing key "${keyId.slice(0, 32)}"`);
  const expected = Buffer.from(mac(secret, t, input.body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(given, 'hex'))) throw new WebhookVerificationError('signature does not match the body');
  const nowSeconds = Math.floor((input.nowMs ?? Date.now()) / 1000);
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - t) > tolerance)
    throw new WebhookVerificationError(`timestamp is ${nowSeconds - t} s away from now (tolerance ${tolerance} s): refused as a replay`);
}
