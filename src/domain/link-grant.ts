/**
 * A link grant: the worker's Ed25519 signature over one reviewer's link (run, round, person, role,
 * expiry, nonce), minted only when the worker mails that link. A decision made through a link
 * carries the grant, and the workflow checks it itself, so the decision service's key alone cannot
 * decide as anyone: the person must hold a link the worker issued to them.
 */
import { utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from './canonical-hash';
import type { DecisionPayload } from './decision';
import { checkSignature, type DecisionPublicKeys, type SignatureCheck, type SignatureVerifier } from './decision-signature';

/** What a grant binds. */
export interface LinkGrantClaims {
  wf: string;
  round: number;
  sub: string;
  role: string;
  /** Unix seconds. */
  exp: number;
  nonce: string;
}

/** Where a grant may be used: a mailed link, or the buttons of a Slack card. */
export type GrantChannel = 'link' | 'slack';

/** The domain prefix keeps a grant to its channel: a mailed link's grant cannot sign a Slack click. */
const GRANT_PREFIX: Record<GrantChannel, string> = {
  link: 'gatehouse-link-grant-v1',
  slack: 'gatehouse-slack-grant-v1',
};

export function linkGrantBytes(claims: LinkGrantClaims, channel: GrantChannel = 'link'): Uint8Array {
  const { wf, round, sub, role, exp, nonce } = claims;
  return utf8ToBytes(`${GRANT_PREFIX[channel]}\n${canonicalJson({ wf, round, sub, role, exp, nonce })}`);
}

/**
 * Checks the grant a link decision carries against the worker's grant keys and, when `nowMs` is
 * given, the run's clock (a later check of a decision accepted in time leaves the clock out).
 */
export function checkLinkGrant(
  payload: DecisionPayload,
  keys: DecisionPublicKeys,
  nowMs: number | undefined,
  channel: GrantChannel = 'link',
  verify: SignatureVerifier = checkSignature,
): SignatureCheck {
  const grant = payload.grant;
  if (!grant) return { ok: false, reason: `a ${channel} decision must carry the grant the worker issued` };
  const claims = {
    wf: payload.workflowId,
    round: payload.round,
    sub: payload.reviewer.id,
    role: payload.reviewer.role,
    exp: grant.exp,
    nonce: payload.nonce,
  };
  const check = verify(`${channel} grant`, grant, linkGrantBytes(claims, channel), keys);
  if (!check.ok) return check;
  return nowMs === undefined || grant.exp * 1000 > nowMs ? { ok: true } : { ok: false, reason: 'the link has expired' };
}
