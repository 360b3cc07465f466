/**
 * Per-IP rate limit on the link routes. Tokens carry 256-bit MACs, so guessing is hopeless anyway;
 * the limit keeps a scanner or a misbehaving integration from turning every GET into Temporal
 * queries. Behind a reverse proxy, set the app's `trust proxy` so the limit sees client addresses.
 *
 * The count lives in each replica's memory, on purpose: behind N replicas and a round-robin a
 * client gets about N times the limit, so set GATEHOUSE_HTTP_RATE_LIMIT_PER_MINUTE to the wanted
 * total divided by N. A shared store would put a database on every page load for a limit that
 * guards no secret (the MAC does); what must happen once (a decision, a fresh-link mail) is
 * deduplicated by the workflow, whichever replica a request reaches.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RateLimitedError } from './errors';

export interface RateLimitOptions {
  /** Window length in milliseconds. */
  windowMs: number;
  /** Requests allowed per IP and window. */
  limit: number;
}

/** A reviewer opens a page and posts once; 60 a minute leaves room for offices behind one NAT. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { windowMs: 60_000, limit: 60 };

export function createRateLimiter(options: RateLimitOptions): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Refusals go through the one error table, so a limited reviewer gets a page, an API a JSON body.
    handler: (_req, _res, next) => next(new RateLimitedError()),
  });
}
