/** The one error → status table: every code has a status, a title and a message, as the issue demands. */
import { DecisionRefusedError, RunNotFoundError } from '../../src/client/errors';
import { DecisionRefusal } from '../../src/domain/errors';
import { problemFor } from '../../src/http/error-status';
import { BadRequestError, CsrfError, LinkNotUsableError, RateLimitedError, RunUnavailableError } from '../../src/http/errors';
import { LinkTokenError, LinkTokenErrorCode } from '../../src/links/token';

const EXPECTED_REFUSAL_STATUS: Record<DecisionRefusal, number> = {
  bad_signature: 403,
  wrong_workflow: 403,
  self_approval: 403,
  not_eligible: 403,
  not_awaiting: 409,
  stale_round: 409,
  params_changed: 409,
  already_decided: 409,
  duplicate: 409,
  slot_filled: 409,
  invalid: 409,
  unsupported: 400,
};

describe('error status table', () => {
  it.each(Object.values(DecisionRefusal))('maps the workflow refusal %s to its status with a message', (code) => {
    const problem = problemFor(new DecisionRefusedError(code, 'from the workflow'));
    expect(problem.status).toBe(EXPECTED_REFUSAL_STATUS[code]);
    expect(problem.code).toBe(code);
    expect(problem.message.length).toBeGreaterThan(20);
    expect(problemFor(new LinkNotUsableError(code, 'from the page'))).toEqual(problem);
  });

  it('gives every forged-token failure the same answer, and expiry its own 410', () => {
    const forged = [LinkTokenErrorCode.malformed, LinkTokenErrorCode.unknownKey, LinkTokenErrorCode.badSignature].map((c) =>
      problemFor(new LinkTokenError(c)),
    );
    expect(forged.map((p) => p.status)).toEqual([403, 403, 403]);
    expect(new Set(forged.map((p) => JSON.stringify(p))).size).toBe(1);
    expect(problemFor(new LinkTokenError('expired')).status).toBe(410);
    expect(problemFor(new LinkTokenError('not_yet_valid')).status).toBe(403);
  });

  it('maps request problems to 400, 403, 404, 413, 429 and 503', () => {
    expect(problemFor(new BadRequestError('bad_form', 'comment: a rejection needs a reason'))).toMatchObject({
      status: 400,
      detail: 'comment: a rejection needs a reason',
    });
    expect(problemFor(new BadRequestError('wrong_content_type')).status).toBe(400);
    // An edited version the workflow refuses is the reviewer's input to fix, unlike other `invalid` refusals.
    expect(
      problemFor(new BadRequestError('invalid_edit', 'the edited version is refused: params invalid: params.url: Invalid URL')),
    ).toMatchObject({
      status: 400,
      code: 'invalid_edit',
      detail: 'the edited version is refused: params invalid: params.url: Invalid URL',
    });
    expect(problemFor(new DecisionRefusedError(DecisionRefusal.invalid, 'the escalation chain is exhausted')).status).toBe(409);
    expect(problemFor(new CsrfError('mismatch')).status).toBe(403);
    expect(problemFor(new RunNotFoundError('wf')).status).toBe(404);
    expect(problemFor(Object.assign(new Error('too big'), { type: 'entity.too.large', status: 413 })).status).toBe(413);
    expect(problemFor(Object.assign(new Error('bad json'), { type: 'entity.parse.failed', status: 400 })).status).toBe(400);
    expect(problemFor(new RateLimitedError()).status).toBe(429);
    expect(problemFor(new RunUnavailableError()).status).toBe(503);
  });

  it('answers 500 for anything unexpected, and an unknown refusal code is a 409', () => {
    expect(problemFor(new TypeError('bug')).status).toBe(500);
    expect(problemFor('a string').status).toBe(500);
    expect(problemFor(new DecisionRefusedError('something_new', 'x'))).toMatchObject({ status: 409, code: 'invalid' });
  });
});
