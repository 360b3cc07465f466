/** The page for every refused or failed request; its words come from the status table. */
import { escapeHtml } from '../../evidence/text';
import type { Problem } from '../error-status';
import { page } from './layout';

export function renderProblemPage(problem: Problem): string {
  return page(
    problem.title,
    [
      '<section class="card result-problem">',
      `<h1>${escapeHtml(problem.title)}</h1>`,
      `<p>${escapeHtml(problem.message)}</p>`,
      problem.detail ? `<p class="label">${escapeHtml(problem.detail)}</p>` : '',
      `<p class="label">HTTP ${problem.status} · ${escapeHtml(problem.code)}</p>`,
      '</section>',
    ].join('\n'),
  );
}
