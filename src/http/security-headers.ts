/**
 * Response headers for every page and API answer. The decision page carries a bearer link and
 * shows agent-written text, so the browser is told to run nothing, load nothing, frame nothing,
 * send no Referer anywhere and keep nothing in any cache.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { STYLESHEET_CSP_SOURCE } from './views/layout';

/**
 * @param publicOrigin origin of the configured public URL; forms post there
 */
export function securityHeaders(publicOrigin: string): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        // Only our own stylesheet, pinned by hash: injected <style> or style= never applies.
        styleSrc: [STYLESHEET_CSP_SOURCE],
        formAction: ["'self'", publicOrigin],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    // Same as frame-ancestors 'none', for browsers that predate CSP level 2.
    frameguard: { action: 'deny' },
    // Behind TLS in production; over plain http in dev browsers ignore it.
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  });
}

/** Decision pages and API answers are per-link and change with the run: never cache or index them. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex, nofollow');
  next();
};
