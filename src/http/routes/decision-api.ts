/**
 * The same operations as JSON, for chat and tool integrations: `/api/decisions/:token`.
 *
 * No CSRF token here, on purpose: the POST accepts `Content-Type: application/json` only, and a
 * cross-site page cannot send that. An HTML form can only send urlencoded, multipart or text/plain
 * bodies, and `fetch` with a JSON content type from another origin needs a CORS preflight, which
 * this service never answers with `Access-Control-Allow-*`, so the browser never sends the POST.
 * Nor does the API use cookies: the link token in the URL is the whole credential.
 */
import express, { Router } from 'express';
import type { RouteContext } from '../context';
import { requireContentType } from '../content-type';
import { decide, logDecision } from '../decide';
import { parseDecisionJson } from '../decision-input';
import { MethodNotAllowedError } from '../errors';
import { buildEvidence } from '../evidence';
import { linkClaims, requireLink } from '../link';
import { loadRunState } from '../run-state';
import { standingOf } from '../standing';

/** Room for an edited version (at most 64 kB, checked after parsing) plus a comment. */
export const JSON_BODY_LIMIT = '128kb';

export function decisionApiRouter(ctx: RouteContext): Router {
  const router = Router();
  router
    .route('/api/decisions/:token')
    // As on the page: HEAD answers whether the link is genuine, with no Temporal I/O.
    .head(requireLink(ctx), (_req, res) => {
      res.status(200).type('json').end();
    })
    .get(requireLink(ctx), async (req, res) => {
      const claims = linkClaims(req);
      const state = await loadRunState(ctx.client, claims.wf, ctx.queryTimeoutMs);
      res.status(200).json(buildEvidence(state, claims, standingOf(state, claims)));
    })
    .post(
      requireLink(ctx),
      requireContentType('application/json'),
      express.json({ limit: JSON_BODY_LIMIT, strict: true }),
      async (req, res) => {
        const claims = linkClaims(req);
        const decision = parseDecisionJson(req.body);
        const result = await decide(
          { client: ctx.client, signer: ctx.signer, timeoutMs: ctx.decisionTimeoutMs, queryTimeoutMs: ctx.queryTimeoutMs },
          claims,
          decision,
          new Date(ctx.now()),
        );
        logDecision(ctx.logger, claims, result, 'api');
        res
          .status(200)
          .json(
            result.applied
              ? result
              : { ...result, message: 'The decision is recorded and will be applied when the approval service catches up.' },
          );
      },
    )
    .all(() => {
      throw new MethodNotAllowedError(['GET', 'HEAD', 'POST']);
    });
  return router;
}
