/**
 * The public keys a run trusts, by the credential they check. They come from the worker's
 * configuration through the policy step (recorded in history; public keys only), never from a
 * caller: an agent must not be able to choose who signs its approvals.
 */
import type { DecisionPublicKeys } from './decision-signature';

/** An operator's own key, registered to one person. */
export interface OperatorKey {
  owner: string;
  publicKeyHex: string;
}

export interface TrustedKeys {
  /** The decision service's keys: it signs decisions made through a link. */
  decision: DecisionPublicKeys;
  /** The worker's link-grant keys: the link a decision came through was issued by the worker. */
  grants: DecisionPublicKeys;
  /** Operators' own keys, by key id. */
  operators: Readonly<Record<string, OperatorKey>>;
}

export const NO_TRUSTED_KEYS: TrustedKeys = { decision: {}, grants: {}, operators: {} };
