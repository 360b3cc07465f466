/**
 * The reviewer's link: `/d/:token`.
 *
 * GET and HEAD never decide anything, whatever they are sent: mail scanners, link previewers and
 * "safe links" services fetch every URL in a mail, some of them several times (the
 * activepieces #14024 failure). Only the POST from the page's own form decides.
 */
import express, { Router, type Request } from 'express';
import { CSRF_COOKIE, CSRF_COOKIE_MAX_AGE_MS, CSRF_FIELD, readCookie } from '../csrf';
import type { RouteContext } from '../context';
import { requireContentType } from '../content-type';
import { decide, logDecision } from '../decide';
import { parseDecisionForm } from '../decision-input';
import { MethodNotAllowedError } from '../errors';
import { buildEvidence } from '../evidence';
import { linkClaims, linkToken, requireLink } from '../link';
import { loadRunState } from '../run-state';
import { checkSameOrigin } from '../same-origin';
import { standingOf } from '../standing';
import { renderDecisionPage } from '../views/decision-page';
import { renderResultPage } from '../views/result-page';
import { FRESH_LINK_FIELD, FRESH_LINK_VALUE, renderFreshLinkRequestedPage } from '../views/problem-page';
import { requestFreshLinkSignal } from '../../../workflows/messages';
import { WorkflowNotFoundError } from '@temporalio/client';
import { LinkTokenError, type LinkClaims } from '../../links/token';

/**
 * A decision is a kind, a comment of at most 5 000 characters and a few short fields; an edit adds
 * up to 64 kB of JSON, which urlencoding can triple. The 64 kB rule itself is checked after parsing,
 * with a message that says so.
 */
export const FORM_BODY_LIMIT = '256kb';

export function decisionPageRouter(ctx: RouteContext): Router {
  const router = Router();
  const cookiePath = (token: string) => `${ctx.publicPath}/d/${token}`;

  router
    .route('/d/:token')
    // Link checkers probe with HEAD: answer whether the link is genuine, with no Temporal I/O.
    .head(requireLink(ctx), (_req, res) => {
      res.status(200).type('html').end();
    })
    .get(requireLink(ctx), async (req, res) => {
      const claims = linkClaims(req);
      const state = await loadRunState(ctx.client, claims.wf, ctx.queryTimeoutMs);
      const standing = standingOf(state, claims);
      const evidence = buildEvidence(state, claims, standing);
      ctx.logger.info(
        {
          workflowId: claims.wf,
          round: claims.round,
          reviewer: claims.sub,
          role: claims.role,
          open: standing.open,
          secFetchSite: req.get('sec-fetch-site'),
          userAgent: req.get('user-agent'),
        },
        'decision page viewed',
      );
      let form: { action: string; csrf: string } | undefined;
      if (standing.open) {
        const token = linkToken(req);
        const pair = ctx.csrf.issue(claims.nonce, readCookie(req.headers.cookie, CSRF_COOKIE));
        res.cookie(CSRF_COOKIE, pair.cookie, {
          httpOnly: true,
          sameSite: 'strict',
          secure: ctx.secureCookies,
          path: cookiePath(token),
          maxAge: CSRF_COOKIE_MAX_AGE_MS,
        });
        form = { action: `${ctx.publicBase}/d/${token}`, csrf: pair.field };
      }
      res.status(200).type('html').send(renderDecisionPage(evidence, form));
    })
    .post(
      // An expired link may still ask for a fresh one (its page's form posts here, without the
      // token in the page); for anything else its expiry is enforced below, before any I/O.
      requireLink(ctx, { allowExpired: true }),
      (req, _res, next) => {
        // Before the body is read: a cross-site post is refused whatever it carries.
        checkSameOrigin(req.headers, ctx.publicOrigin);
        // An expired link's only use is the fresh-link request, a few bytes: nothing larger is read.
        if (isExpired(linkClaims(req), ctx.now()) && Number(req.headers['content-length'] ?? Infinity) > FRESH_LINK_BODY_MAX) {
          throw new LinkTokenError('expired');
        }
        next();
      },
      requireContentType('application/x-www-form-urlencoded'),
      express.urlencoded({ extended: false, limit: FORM_BODY_LIMIT, parameterLimit: 20 }),
      async (req, res) => {
        const claims = linkClaims(req);
        const body: unknown = req.body;
        if (body !== null && typeof body === 'object' && (body as Record<string, unknown>)[FRESH_LINK_FIELD] === FRESH_LINK_VALUE) {
          await requestFreshLink(ctx, claims, req);
          res.status(200).type('html').send(renderFreshLinkRequestedPage());
          return;
        }
        if (isExpired(claims, ctx.now())) throw new LinkTokenError('expired');
        const field = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[CSRF_FIELD] : undefined;
        ctx.csrf.verify(claims.nonce, readCookie(req.headers.cookie, CSRF_COOKIE), field);
        const decision = parseDecisionForm(body);
        const result = await decide(
          { client: ctx.client, signer: ctx.signer, timeoutMs: ctx.decisionTimeoutMs, queryTimeoutMs: ctx.queryTimeoutMs },
          claims,
          decision,
          new Date(ctx.now()),
        );
        logDecision(ctx.logger, claims, result, 'page', { secFetchSite: req.get('sec-fetch-site'), userAgent: req.get('user-agent') });
        res.status(200).type('html').send(renderResultPage(result));
      },
    )
    .all(() => {
      throw new MethodNotAllowedError(['GET', 'HEAD', 'POST']);
    });
  return router;
}

const FRESH_LINK_BODY_MAX = 256;

const isExpired = (claims: LinkClaims, nowMs: number): boolean => nowMs >= claims.exp * 1000;

/**
 * "Send me a fresh link", from the page of an expired or superseded link. The service cannot mint
 * links (they carry the worker's grant): it asks the run, which mails the reviewer's address on
 * file, rate-limited. The answer is the same whatever the run does with it.
 */
async function requestFreshLink(ctx: RouteContext, claims: LinkClaims, req: Request): Promise<void> {
  try {
    await ctx.client.workflow.getHandle(claims.wf).signal(requestFreshLinkSignal, { reviewerId: claims.sub, role: claims.role });
  } catch (err) {
    // A finished or unknown run: nothing to renew, and the page says no more than usual.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  ctx.logger.info(
    {
      workflowId: claims.wf,
      round: claims.round,
      reviewer: claims.sub,
      role: claims.role,
      secFetchSite: req.get('sec-fetch-site'),
      userAgent: req.get('user-agent'),
    },
    'fresh link requested',
  );
}
