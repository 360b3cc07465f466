/**
 * Errors the decision service raises itself. Each carries a code that `error-status.ts` turns into
 * an HTTP status and a page; none of them ever holds the link token, because messages reach pages
 * and logs.
 */
import type { DecisionRefusal } from '../domain/errors';

/** Why a request was refused before it could become a decision. */
export const BadRequestCode = {
  /** The form or JSON body parsed but does not describe a decision (unknown kind, reject without reason). */
  badForm: 'bad_form',
  /**
   * An edited params version that cannot be used: not a JSON object, too large, unchanged, touching
   * a redacted field, or refused by the workflow because it fails the action's schema or policy.
   * The reviewer's input to fix, so 400, not the 409 the workflow's generic `invalid` refusal gets.
   */
  invalidEdit: 'invalid_edit',
  /** The body is not valid urlencoded or JSON. */
  malformedBody: 'malformed_body',
  /** The body is not the one content type the route accepts. */
  wrongContentType: 'wrong_content_type',
} as const;
export type BadRequestCode = (typeof BadRequestCode)[keyof typeof BadRequestCode];

/** Thrown when a request body is missing, malformed, of the wrong type, or not a valid decision. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
  constructor(
    readonly code: BadRequestCode,
    /** Safe to show: says which field is wrong, never echoes the value sent. */
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(detail ? `${code}: ${detail}` : code, options);
  }
}

/**
 * Thrown when a form POST fails the CSRF check: no cookie from the decision page, a field that does
 * not match it, or a browser saying the request came from another site. `reason` is for logs only.
 */
export class CsrfError extends Error {
  override readonly name = 'CsrfError';
  constructor(readonly reason: 'missing_cookie' | 'missing_field' | 'mismatch' | 'cross_site') {
    super(`CSRF check failed: ${reason}`);
  }
}

/** Thrown when one client sent more requests than the rate limit allows. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  constructor() {
    super('too many requests');
  }
}

/** Thrown for a path the service does not serve. The path is not repeated: it may hold a token. */
export class RouteNotFoundError extends Error {
  override readonly name = 'RouteNotFoundError';
  constructor() {
    super('no such page');
  }
}

/** Thrown for a method a route does not support (PUT on a decision link...). */
export class MethodNotAllowedError extends Error {
  override readonly name = 'MethodNotAllowedError';
  constructor(readonly allow: readonly string[]) {
    super('method not allowed');
  }
}

/**
 * Thrown when a genuine link cannot show a decision form, or cannot take a decision that depends on
 * the run's state (an edit, a delegation): its holder may not decide on this run (self-approval,
 * not eligible), its round has passed, or the params moved on. The workflow would refuse the same
 * decision with the same code; checking first spares the reviewer a form that cannot work.
 */
export class LinkNotUsableError extends Error {
  override readonly name = 'LinkNotUsableError';
  constructor(
    readonly code: DecisionRefusal,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Thrown when Temporal did not answer in time (no worker to run the state query, server down).
 * A real server-side fault: the reviewer can retry in a minute; nothing was decided.
 */
export class RunUnavailableError extends Error {
  override readonly name = 'RunUnavailableError';
  constructor(options?: { cause?: unknown }) {
    super('the approval run did not answer in time', options);
  }
}
