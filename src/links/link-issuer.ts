/**
 * Issues reviewer links: the HMAC token the decision service verifies, carrying the worker's
 * Ed25519 grant for that exact link, which the workflow verifies. Only the worker holds the grant
 * key, so neither the decision service's key nor the link keys alone can make a link decision.
 */
import type { DecisionPayload, LinkGrant, SignedDecision } from '../domain/decision';
import { linkGrantBytes, type GrantChannel, type LinkGrantClaims } from '../domain/link-grant';
import type { BytesSigner, DecisionSigner } from './decision-signer';
import type { LinkKeyring } from './keyring';
import { signLinkToken, type LinkClaims } from './token';

export interface LinkIssuer {
  keyring: LinkKeyring;
  grantSigner: BytesSigner;
}

export function grantFor(claims: LinkGrantClaims, grantSigner: BytesSigner, channel: GrantChannel = 'link'): LinkGrant {
  return { exp: claims.exp, ...grantSigner.signBytes(linkGrantBytes(claims, channel)) };
}

/**
 * A signed link token for one reviewer, role and round, with its grant inside. With channel
 * `slack` it is the value of a Slack card's buttons: the same token format, but its grant only
 * signs a decision recorded as made in Slack.
 */
export function issueLinkToken(claims: Omit<LinkClaims, 'grant'>, issuer: LinkIssuer, channel: GrantChannel = 'link'): string {
  const grant = grantFor(claims, issuer.grantSigner, channel);
  return signLinkToken({ ...claims, grant: `${grant.keyId}.${grant.value}` }, issuer.keyring);
}

/**
 * The credential fields of a decision made through this link.
 *
 * @throws {@link LinkWithoutGrantError} for a link minted without a grant (before grants existed).
 */
export function linkCredential(claims: LinkClaims, channel: GrantChannel = 'link'): Pick<DecisionPayload, 'channel' | 'grant'> {
  const dot = claims.grant?.indexOf('.') ?? -1;
  if (!claims.grant || dot < 1) throw new LinkWithoutGrantError();
  return { channel, grant: { exp: claims.exp, keyId: claims.grant.slice(0, dot), value: claims.grant.slice(dot + 1) } };
}

/** Thrown when a link carries no worker grant, so no decision can be made through it. */
export class LinkWithoutGrantError extends Error {
  override readonly name = 'LinkWithoutGrantError';
  constructor() {
    super('this link was issued without a grant and cannot decide; ask for a fresh link');
  }
}

/**
 * A decision through a link granted on the spot, for tools that hold both the worker's grant key
 * and the decision service's key (the test harness, the bench). The decision service itself never
 * holds a grant key: it takes the grant from the link (see {@link linkCredential}).
 */
export function decisionThroughLink(
  payload: Omit<DecisionPayload, 'channel' | 'grant'>,
  signer: DecisionSigner,
  grantSigner: BytesSigner,
  exp = Math.floor(Date.now() / 1000) + 3600,
): SignedDecision {
  const grant = grantFor(
    { wf: payload.workflowId, round: payload.round, sub: payload.reviewer.id, role: payload.reviewer.role, exp, nonce: payload.nonce },
    grantSigner,
  );
  return signer.sign({ ...payload, channel: 'link', grant });
}
