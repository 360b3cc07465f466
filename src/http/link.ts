/**
 * Link verification as route middleware. It runs first on every link route, before the body is
 * read and before any Temporal I/O: a forged or expired token costs one HMAC and nothing else.
 */
import type { Request, RequestHandler } from 'express';
import { verifyLinkToken, type LinkClaims } from '../links/token';
import type { RouteContext } from './context';

const verified = new WeakMap<Request, LinkClaims>();

/**
 * Verifies `:token` and remembers its claims for the rest of the request. `allowExpired` is for
 * the fresh-link request only: a genuine link past its expiry may ask for a new one, nothing more.
 */
export function requireLink(ctx: RouteContext, options: { allowExpired?: boolean } = {}): RequestHandler {
  return (req, _res, next) => {
    const token = req.params['token'];
    verified.set(req, verifyLinkToken(typeof token === 'string' ? token : '', ctx.linkKeyring, ctx.now(), options));
    next();
  };
}

/** The claims {@link requireLink} verified for this request. */
export function linkClaims(req: Request): LinkClaims {
  const claims = verified.get(req);
  // A route that forgot requireLink must fail loudly, never serve an unverified link.
  if (!claims) throw new TypeError('link claims requested on a route without requireLink');
  return claims;
}

/** The raw token of a verified link, for building the form's action URL. */
export function linkToken(req: Request): string {
  linkClaims(req);
  return String(req.params['token']);
}
