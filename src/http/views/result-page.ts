/** The page after a decision: what was recorded and what happens next. */
import { escapeHtml } from '../../evidence/text';
import type { DecisionResult } from '../decide';
import { page } from './layout';

const VERB: Record<DecisionResult['kind'], string> = {
  approve: 'approval',
  approve_with_edits: 'approval of the edited version',
  reject: 'rejection',
  request_changes: 'request for changes',
  escalate: 'escalation',
  delegate: 'delegation',
};

export function renderResultPage(result: DecisionResult): string {
  const what = VERB[result.kind];
  if (!result.applied) {
    return page(
      'Decision recorded',
      [
        '<section class="card result-queued">',
        `<h1>Your ${escapeHtml(what)} is recorded</h1>`,
        '<p>Gatehouse is busy right now, so your decision was stored durably and will be applied as soon as the approval service catches up. You do not need to do anything else, and clicking again will not count twice.</p>',
        result.kind === 'approve_with_edits'
          ? '<p class="label">If the proposal changed or was decided by someone else in the meantime, or the policy refuses the edited version, your decision will not be applied.</p>'
          : '<p class="label">If the proposal changed or was decided by someone else in the meantime, your decision will not be applied.</p>',
        '</section>',
      ].join('\n'),
    );
  }
  const next = whatNext(result);
  return page(
    'Decision recorded',
    [
      '<section class="card result-ok">',
      `<h1>Thank you — your ${escapeHtml(what)} is recorded</h1>`,
      `<p>${escapeHtml(next)}</p>`,
      `<p class="label">Round ${escapeHtml(String(result.round))}. You can close this page.</p>`,
      '</section>',
    ].join('\n'),
  );
}

function whatNext(result: Extract<DecisionResult, { applied: true }>): string {
  const remaining = result.remaining.map((r) => `${r.needed} × ${r.role}`).join(', ');
  if (result.kind === 'delegate') {
    const who = result.delegatedTo ? `${result.delegatedTo.name} (${result.delegatedTo.id})` : 'The reviewer you chose';
    return `${who} has been asked to decide in your place. You cannot decide on this round any more.`;
  }
  if (result.kind === 'approve_with_edits') {
    if (result.status === 'approved')
      return 'The edited version is approved. Gatehouse now executes it once and checks that it really happened.';
    if (result.status === 'awaiting_approval') {
      return `The edited version needs further approval${remaining ? `: ${remaining}` : ''}. Your approval of it is counted, and the reviewers it needs have been asked.`;
    }
  }
  switch (result.status) {
    case 'awaiting_approval': {
      if (result.kind === 'reject')
        return 'Your rejection is counted; the policy needs more reviewers to reject before the proposal is closed.';
      if (result.kind === 'escalate') return 'The next role in the escalation chain has been asked to decide.';
      return remaining ? `The proposal still needs: ${remaining}.` : 'The proposal is waiting for the remaining reviewers.';
    }
    case 'approved':
      return 'The proposal is approved. Gatehouse now executes it once and checks that it really happened.';
    case 'changes_requested':
      return 'The agent has been asked for changes. When it sends a revised version, the reviewers get a new email.';
    default:
      return `The proposal is now ${result.status.replace(/_/g, ' ')}.`;
  }
}
