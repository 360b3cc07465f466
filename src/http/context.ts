/** What the routes share: dependencies plus the values derived once from configuration. */
import type { Client } from '@temporalio/client';
import type { DecisionSigner } from '../links/decision-signer';
import type { LinkKeyring } from '../links/keyring';
import type { Logger } from '../observability/logger';
import type { CsrfGuard } from './csrf';

export interface RouteContext {
  client: Client;
  signer: DecisionSigner;
  linkKeyring: LinkKeyring;
  logger: Logger;
  csrf: CsrfGuard;
  /** The configured public URL without a trailing slash: every absolute URL starts here. */
  publicBase: string;
  /** Its origin, for the Origin check and the CSP `form-action`. */
  publicOrigin: string;
  /** Its path without a trailing slash ('' at the root): cookies are scoped below it. */
  publicPath: string;
  /** Cookies get `Secure` when the public URL is https. */
  secureCookies: boolean;
  /** How long a POST waits for a worker before the decision goes as a signal. */
  decisionTimeoutMs: number;
  /** How long a page waits for the run's state before answering 503. */
  queryTimeoutMs: number;
  /** Current time in epoch ms (tests may pin it). */
  now: () => number;
}
