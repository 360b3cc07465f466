/**
 * The decision service as an Express app: reviewer pages, the JSON API and health probes. The
 * factory only builds the app; `main.ts` (or a test) decides where it listens. The service keeps no
 * state of its own: the workflow is the authority on every decision, so replicas scale freely.
 */
import type { Client } from '@temporalio/client';
import { requestLog } from './request-log';
import { codecRouter, type CodecRouteOptions } from './routes/codec';
import express, { type ErrorRequestHandler, type Express, type Request } from 'express';
import type { DecisionSigner } from '../links/decision-signer';
import type { LinkKeyring } from '../links/keyring';
import { LinkTokenError } from '../links/token';
import type { Logger } from '../observability/logger';
import type { RouteContext } from './context';
import { createCsrfGuard, deriveCsrfSecret } from './csrf';
import { problemFor } from './error-status';
import { CsrfError, MethodNotAllowedError, RouteNotFoundError } from './errors';
import { createRateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit';
import { decisionApiRouter } from './routes/decision-api';
import { decisionPageRouter } from './routes/decision-page';
import { healthRouter } from './routes/health';
import { slackRouter, type SlackRouteOptions } from './routes/slack';
import { noStore, securityHeaders } from './security-headers';
import { renderProblemPage } from './views/problem-page';

export interface AppDeps {
  client: Client;
  /** Verifies reviewer links (the worker signs them with the same keys). */
  linkKeyring: LinkKeyring;
  /** Signs every decision before it goes to the workflow. */
  signer: DecisionSigner;
  logger: Logger;
  /**
   * The URL reviewers reach the service at (`GATEHOUSE_PUBLIC_URL`). Every absolute URL the service
   * writes starts here, never with the Host header, which the client controls. A path in it is
   * assumed to be stripped by the reverse proxy in front.
   */
  publicUrl: string;
  /** Secret for CSRF fields; by default derived from the link signing key (same on every replica). */
  csrfSecret?: Buffer;
  /** True once shutdown began: /readyz answers 503 and responses close their connection. */
  draining?: () => boolean;
  /** Per-IP limit on `/d` and `/api`; `false` turns it off (tests that fire many requests). */
  rateLimit?: RateLimitOptions | false;
  /** How long a POST waits for a worker before sending the decision as a signal (default 5 s). */
  decisionTimeoutMs?: number;
  /** How long a page waits for the run's state (default 5 s). */
  queryTimeoutMs?: number;
  /** Express `trust proxy`, so rate limiting sees client addresses behind a reverse proxy. */
  trustProxy?: boolean | number | string;
  /** Clock, epoch ms; for tests of expiry. */
  now?: () => number;
  /** Serve `/codec/*` for the Temporal Web UI with this codec (absent: no codec endpoint). */
  codec?: Omit<CodecRouteOptions, 'logger'>;
  /** Serve Slack's interactivity endpoint `/slack/interactions` (absent: Slack is not configured). */
  slack?: SlackRouteOptions;
}

export const DEFAULT_DECISION_TIMEOUT_MS = 5_000;

export function createApp(deps: AppDeps): Express {
  const publicUrl = new URL(deps.publicUrl);
  const ctx: RouteContext = {
    client: deps.client,
    signer: deps.signer,
    linkKeyring: deps.linkKeyring,
    logger: deps.logger,
    csrf: createCsrfGuard(deps.csrfSecret ?? deriveCsrfSecret(deps.linkKeyring)),
    publicBase: publicUrl.href.replace(/\/+$/, ''),
    publicOrigin: publicUrl.origin,
    publicPath: publicUrl.pathname.replace(/\/+$/, ''),
    secureCookies: publicUrl.protocol === 'https:',
    decisionTimeoutMs: deps.decisionTimeoutMs ?? DEFAULT_DECISION_TIMEOUT_MS,
    queryTimeoutMs: deps.queryTimeoutMs ?? DEFAULT_DECISION_TIMEOUT_MS,
    now: deps.now ?? Date.now,
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  // Nothing reads query strings; refusing to parse them leaves no `?next=` to misuse.
  app.set('query parser', false);
  app.use(requestLog(deps.logger));
  app.use(securityHeaders(ctx.publicOrigin));
  const draining = deps.draining ?? (() => false);
  app.use((_req, res, next) => {
    // A kept-alive connection would carry the client's next request to a process about to exit.
    if (draining()) res.setHeader('Connection', 'close');
    next();
  });
  app.use(healthRouter(ctx, draining));
  if (deps.codec) app.use(codecRouter({ ...deps.codec, logger: deps.logger }));
  const linkRoutes = ['/d', '/api'];
  app.use(linkRoutes, noStore);
  const limit = deps.rateLimit ?? DEFAULT_RATE_LIMIT;
  if (limit !== false) app.use(linkRoutes, createRateLimiter(limit));
  app.use(decisionPageRouter(ctx));
  app.use(decisionApiRouter(ctx));
  if (deps.slack) app.use('/slack', noStore);
  if (deps.slack) app.use(slackRouter(ctx, deps.slack));
  app.use(() => {
    throw new RouteNotFoundError();
  });
  app.use(errorHandler(ctx));
  return app;
}

/** Every failure becomes the status and words of the one table: a page for people, JSON for the API. */
function errorHandler(ctx: RouteContext): ErrorRequestHandler {
  const { logger } = ctx;
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const problem = problemFor(err);
    // The route pattern (`/d/:token`), never the URL: the URL holds the token.
    const where = {
      requestId: res.locals['requestId'] as string | undefined,
      method: req.method,
      route: (req.route as { path?: string } | undefined)?.path,
      status: problem.status,
      code: problem.code,
    };
    if (problem.status >= 500) {
      logger.error({ ...where, err }, 'request failed');
    } else {
      const detail = err instanceof LinkTokenError ? { linkError: err.code } : err instanceof CsrfError ? { csrf: err.reason } : {};
      logger.info({ ...where, ...detail }, 'request refused');
    }
    if (err instanceof MethodNotAllowedError) res.setHeader('Allow', err.allow.join(', '));
    res.setHeader('Cache-Control', 'no-store');
    if (req.path.startsWith('/api/') || req.path.startsWith('/slack/')) {
      res.status(problem.status).json({ error: problem });
    } else {
      res
        .status(problem.status)
        .type('html')
        .send(renderProblemPage(problem, offersFreshLink(req, problem.code)));
    }
  };
}

/** Problems of a genuine link that only needs renewing: the page offers a fresh one. */
const RENEWABLE: ReadonlySet<string> = new Set(['link_expired', 'stale_round']);

function offersFreshLink(req: Request, code: string): boolean {
  return req.method === 'GET' && RENEWABLE.has(code) && /^\/d\/[^/]+$/.test(req.path);
}
