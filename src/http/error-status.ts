/**
 * The one table from error to HTTP status and message, for the decision pages and the JSON API
 * alike. A reviewer who hits a problem sees a page that says what happened and what to do; an
 * integration gets the same code and message as JSON.
 *
 * Choices worth knowing:
 * - Every way a link token can be forged (malformed, unknown key, bad MAC) gets one uniform 403
 *   with one message: telling them apart would help whoever is forging.
 * - `not_yet_valid` is 403, not 400: the request is well formed, the credential is genuine but
 *   not usable now (a clock far behind, or a link minted for later); it is not "gone" (410).
 * - Refusals whose cause is the reviewer's identity (self-approval, not eligible, a bad decision
 *   signature, another workflow) are 403; refusals because the run moved on (decided, round
 *   passed, params revised, outcome fixed) are 409.
 * - An edited params version the workflow refuses (its generic `invalid`: the action's schema or
 *   the policy rejects it) is 400 `invalid_edit` with the workflow's reason as detail: the
 *   reviewer fixes their input, nothing conflicts. `decide.ts` tells it apart by the decision's
 *   kind, so other `invalid` refusals (nobody left to escalate to) stay 409.
 * - 5xx only for faults on our side: Temporal unreachable or no worker answering a query (503),
 *   and anything unexpected (500, logged with its stack).
 */
import { DecisionRefusedError, RunNotFoundError } from '../client/errors';
import { DecisionRefusal } from '../domain/errors';
import { LinkTokenError, type LinkTokenErrorCode } from '../links/token';
import { SlackPayloadError, SlackUserNotReviewerError } from '../slack/interaction';
import { SlackSignatureError } from '../slack/signature';
import {
  BadRequestError,
  CsrfError,
  LinkNotUsableError,
  MethodNotAllowedError,
  RateLimitedError,
  RouteNotFoundError,
  RunUnavailableError,
  type BadRequestCode,
} from './errors';

/** What a failed request answers: status, a stable code, a short title and a sentence for people. */
export interface Problem {
  status: number;
  code: string;
  title: string;
  message: string;
  /** Extra, safe detail (which form field is wrong). */
  detail?: string;
}

const p = (status: number, code: string, title: string, message: string): Problem => ({ status, code, title, message });

const FORGED_LINK = p(
  403,
  'link_invalid',
  'This link is not valid',
  'The link is damaged or was not issued by Gatehouse. Open it again from the original email; nothing was decided.',
);

const LINK: Record<LinkTokenErrorCode, Problem> = {
  malformed: FORGED_LINK,
  unknown_key: FORGED_LINK,
  bad_signature: FORGED_LINK,
  expired: p(
    410,
    'link_expired',
    'This link has expired',
    'Decision links are valid for a limited time. If the proposal is still open, use the link in the most recent email about it.',
  ),
  not_yet_valid: p(
    403,
    'link_not_yet_valid',
    'This link is not valid yet',
    'The link is not usable yet. Check that your device’s clock is right, then try again.',
  ),
};

const REFUSAL: Record<DecisionRefusal, Problem> = {
  bad_signature: p(
    403,
    'bad_signature',
    'Decision not accepted',
    'The approval run did not accept this decision’s signature. Nothing was decided; please tell your Gatehouse operator.',
  ),
  wrong_workflow: p(403, 'wrong_workflow', 'Decision not accepted', 'This decision belongs to another approval run. Nothing was decided.'),
  self_approval: p(
    403,
    'self_approval',
    'You cannot decide on this action',
    'The person an agent acts for, and the agent itself, may never approve their own action.',
  ),
  not_eligible: p(
    403,
    'not_eligible',
    'You cannot decide on this action',
    'You are not one of the reviewers for this proposal in this role.',
  ),
  not_awaiting: p(
    409,
    'not_awaiting',
    'No decision is possible any more',
    'The outcome of this proposal is already fixed, so no further decision can change it.',
  ),
  stale_round: p(
    409,
    'stale_round',
    'This link is for an earlier round',
    'The proposal has changed since this link was sent. Use the link in the most recent email about it.',
  ),
  params_changed: p(
    409,
    'params_changed',
    'The proposal has changed',
    'The parameters you saw are no longer the ones awaiting approval. Reload the page and review the current version.',
  ),
  already_decided: p(
    409,
    'already_decided',
    'You have already decided',
    'Your decision on this round is already recorded; each reviewer decides once per round.',
  ),
  duplicate: p(409, 'duplicate', 'Already recorded', 'This decision has already been recorded. Nothing more was changed.'),
  slot_filled: p(
    409,
    'slot_filled',
    'Enough approvals already',
    'The approvals needed from your role are already complete. You can still reject if something is wrong.',
  ),
  invalid: p(
    409,
    'invalid',
    'Decision not possible',
    'The approval run cannot apply this decision in its current state (for example, there is nobody left to escalate to).',
  ),
  unsupported: p(400, 'unsupported', 'Decision not supported', 'This kind of decision is not supported yet.'),
};

const BAD_REQUEST: Record<BadRequestCode, Problem> = {
  bad_form: p(400, 'bad_form', 'The decision form is incomplete', 'Please go back and check the form. A rejection needs a reason.'),
  invalid_edit: p(
    400,
    'invalid_edit',
    'The edited parameters cannot be used',
    'Nothing was decided. Go back, correct the edited version as the note below says, and send it again.',
  ),
  malformed_body: p(
    400,
    'malformed_body',
    'The request could not be read',
    'The request body is not valid. Send the decision from the decision page, or as JSON to the API.',
  ),
  wrong_content_type: p(
    400,
    'wrong_content_type',
    'Unexpected request format',
    'The decision page sends application/x-www-form-urlencoded; the API accepts application/json only.',
  ),
};

const CSRF = p(
  403,
  'csrf_failed',
  'Please reload the decision page',
  'This form could not be verified as coming from your decision page (it may be old, or sent from another site). Open the link again and decide from the page; nothing was decided.',
);
// Slack: one 401 for every signature failure (missing, stale, forged, replayed), like forged links.
const SLACK_UNSIGNED = p(401, 'slack_unsigned', 'Not signed by Slack', 'The request does not carry a valid, fresh Slack signature.');
const SLACK_NOT_REVIEWER = p(
  403,
  'slack_not_reviewer',
  'You cannot decide on this card',
  'Your Slack account is not linked to the reviewer this card was sent to. Nothing was decided.',
);
const SLACK_PAYLOAD = p(400, 'slack_payload', 'Unexpected Slack request', 'The request is not an interaction with a Gatehouse card.');
const RUN_NOT_FOUND = p(
  404,
  'run_not_found',
  'Proposal not found',
  'No approval run matches this link. It may have been removed after its retention period.',
);
// Named limits, as the SDK and the CLI name theirs: the body limits only leave room for these.
const TOO_LARGE = p(
  413,
  'too_large',
  'Too much text',
  'The request is larger than a decision can be: a comment may have at most 5,000 characters and an edited version at most 64 kB of JSON. Shorten it and try again.',
);
const RATE_LIMITED = p(429, 'rate_limited', 'Too many requests', 'Please wait a minute before trying again.');
const ROUTE_NOT_FOUND = p(404, 'not_found', 'Page not found', 'There is no page at this address.');
const METHOD_NOT_ALLOWED = p(405, 'method_not_allowed', 'Method not allowed', 'This address does not accept that kind of request.');
const UNAVAILABLE = p(
  503,
  'unavailable',
  'Gatehouse is busy',
  'The approval service did not answer in time. Nothing was decided; please try again in a minute.',
);
const INTERNAL = p(
  500,
  'internal_error',
  'Something went wrong on our side',
  'Nothing was decided. Please try again later; if it keeps happening, tell your Gatehouse operator.',
);

/** body-parser's error types (it sets `type` and `status` on its errors). */
const BODY_PARSER: Record<string, Problem> = {
  'entity.too.large': TOO_LARGE,
  'parameters.too.many': TOO_LARGE,
  'entity.parse.failed': BAD_REQUEST.malformed_body,
  'entity.verify.failed': BAD_REQUEST.malformed_body,
  'encoding.unsupported': BAD_REQUEST.wrong_content_type,
  'charset.unsupported': BAD_REQUEST.wrong_content_type,
  'request.aborted': BAD_REQUEST.malformed_body,
  'request.size.invalid': BAD_REQUEST.malformed_body,
  'stream.encoding.set': INTERNAL,
};

/** The problem (status, code, message) for anything a handler threw. */
export function problemFor(err: unknown): Problem {
  if (err instanceof LinkTokenError) return LINK[err.code];
  if (err instanceof DecisionRefusedError) return REFUSAL[refusalCode(err.code)];
  if (err instanceof LinkNotUsableError) return REFUSAL[err.code];
  if (err instanceof BadRequestError) {
    const problem = BAD_REQUEST[err.code];
    return err.detail ? { ...problem, detail: err.detail } : problem;
  }
  if (err instanceof CsrfError) return CSRF;
  if (err instanceof SlackSignatureError) return SLACK_UNSIGNED;
  if (err instanceof SlackUserNotReviewerError) return SLACK_NOT_REVIEWER;
  if (err instanceof SlackPayloadError) return SLACK_PAYLOAD;
  if (err instanceof RunNotFoundError) return RUN_NOT_FOUND;
  if (err instanceof RateLimitedError) return RATE_LIMITED;
  if (err instanceof RouteNotFoundError) return ROUTE_NOT_FOUND;
  if (err instanceof MethodNotAllowedError) return METHOD_NOT_ALLOWED;
  if (err instanceof RunUnavailableError) return UNAVAILABLE;
  const bodyParserType = (err as { type?: unknown } | null)?.type;
  if (typeof bodyParserType === 'string' && BODY_PARSER[bodyParserType]) return BODY_PARSER[bodyParserType];
  return INTERNAL;
}

/** Codes come back from workflow history as plain strings; an unknown one is a 409 "not possible". */
function refusalCode(code: string): DecisionRefusal {
  return (Object.values(DecisionRefusal) as string[]).includes(code) ? (code as DecisionRefusal) : DecisionRefusal.invalid;
}
