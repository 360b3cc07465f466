/**
 * Each POST route accepts exactly one content type. Checked before the body parser runs, because
 * Express 5's parsers silently leave `req.body` undefined for any other type.
 */
import type { RequestHandler } from 'express';
import { BadRequestError } from './errors';

export function requireContentType(type: 'application/x-www-form-urlencoded' | 'application/json'): RequestHandler {
  return (req, _res, next) => {
    if (req.is(type) !== type) throw new BadRequestError('wrong_content_type', `expected ${type}`);
    next();
  };
}
