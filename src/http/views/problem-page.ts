/** The page for every refused or failed request; its words come from the status table. */
import { escapeHtml } from '../../evidence/text';
import type { Problem } from '../error-status';
import { page } from './layout';

/** The field and value the "send me a fresh link" form posts to the link's own URL. */
export const FRESH_LINK_FIELD = 'intent';
export const FRESH_LINK_VALUE = 'fresh_link';

/**
 * @param offerFreshLink on the page of an expired or superseded link: a "send me a fresh link"
 * form. It has no action, so it posts to the page's own URL: the token is never written into a
 * page (not even its MAC), however genuine.
 */
export function renderProblemPage(problem: Problem, offerFreshLink = false): string {
  return page(
    problem.title,
    [
      '<section class="card result-problem">',
      `<h1>${escapeHtml(problem.title)}</h1>`,
      `<p>${escapeHtml(problem.message)}</p>`,
      problem.detail ? `<p class="label">${escapeHtml(problem.detail)}</p>` : '',
      `<p class="label">HTTP ${problem.status} · ${escapeHtml(problem.code)}</p>`,
      '</section>',
      offerFreshLink
        ? [
            '<form class="card" method="post">',
            `<input type="hidden" name="${FRESH_LINK_FIELD}" value="${FRESH_LINK_VALUE}">`,
            '<p>If you are still asked to decide, Gatehouse can mail you a fresh link, to your address on file.</p>',
            '<button type="submit">Send me a fresh link</button>',
            '</form>',
          ].join('\n')
        : '',
    ].join('\n'),
  );
}

/** The answer to a fresh-link request: the same whoever asked, so it tells nobody who reviews what. */
export function renderFreshLinkRequestedPage(): string {
  return page(
    'Fresh link requested',
    [
      '<section class="card">',
      '<h1>Fresh link requested</h1>',
      '<p>If you are still asked to decide on this proposal, a mail with a fresh link is on its way to your address on file. One is sent at most every 10 minutes.</p>',
      '</section>',
    ].join('\n'),
  );
}
