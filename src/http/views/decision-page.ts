/**
 * The decision page: the evidence pack, then the forms. Every value is escaped here, at the last
 * moment, whatever cleaning happened before; agent text sits in a box that says who wrote it.
 */
import { escapeHtml } from '../../mail/escape';
import type { DecisionEvidence, EvidenceField } from '../evidence';
import { formatTime, page } from './layout';

/** What the forms need besides the evidence. */
export interface DecisionFormTarget {
  /** Absolute URL built from the configured public URL, never from the Host header. */
  action: string;
  /** Value of the hidden CSRF field, bound to the cookie set with this page. */
  csrf: string;
}

const UNTRUSTED_LABEL = 'Written by the agent — untrusted. Check it against the facts above.';

export function renderDecisionPage(e: DecisionEvidence, form: DecisionFormTarget | undefined): string {
  const body = [
    summaryCard(e),
    factsCard(e),
    paramsCard(e),
    agentCard(e),
    decisionsCard(e),
    decideSection(e, form),
    '<footer>Opening this page decides nothing. Only the buttons above record a decision, signed with your identity from the link. Do not forward this email or link: it lets its holder decide as you.</footer>',
  ];
  return page(`Approval: ${e.summary}`, body.filter((part) => part !== '').join('\n'));
}

function summaryCard(e: DecisionEvidence): string {
  return [
    '<section class="card untrusted" aria-labelledby="summary">',
    '<p class="label">The agent’s summary — untrusted</p>',
    `<h1 id="summary">${escapeHtml(e.summary)}</h1>`,
    `<p class="who">You are <strong>${escapeHtml(e.reviewer.name ?? e.reviewer.id)}</strong> (${escapeHtml(e.reviewer.id)}), deciding as <strong>${escapeHtml(e.reviewer.role)}</strong>.</p>`,
    '</section>',
  ].join('\n');
}

function factsCard(e: DecisionEvidence): string {
  const rows: [string, string][] = [
    ['Action type', `<code>${escapeHtml(e.actionType)}</code>`],
    ['Risk', `<span class="badge risk-${escapeHtml(e.risk)}">${escapeHtml(e.risk)}</span>`],
  ];
  if (e.policy) rows.push(['Policy decision', `${escapeHtml(e.policy.reason)}<br><code>${escapeHtml(e.policy.version)}</code>`]);
  if (e.triggersFired.length > 0) {
    const items = e.triggersFired.map((t) => `<li><code>${escapeHtml(t.id)}</code>: ${escapeHtml(t.description)}</li>`).join('');
    rows.push(['Triggers fired', `<ul>${items}</ul>`]);
  } else {
    rows.push(['Triggers fired', 'none']);
  }
  if (e.approvalsRequired.length > 0) {
    rows.push(['Approvals required', escapeHtml(e.approvalsRequired.map((s) => `${s.count} × ${s.role}`).join(', '))]);
  }
  rows.push(['Agent', `${escapeHtml(e.agent.name)} (<code>${escapeHtml(e.agent.id)}</code>)`]);
  rows.push(['On behalf of', e.requestedBy.name ? `${escapeHtml(e.requestedBy.name)} (<code>${escapeHtml(e.requestedBy.id)}</code>)` : `<code>${escapeHtml(e.requestedBy.id)}</code>`]);
  rows.push(['Status', escapeHtml(e.status.replace(/_/g, ' '))]);
  rows.push(['Round', String(e.round)]);
  if (e.deadline) rows.push(['Decide by', escapeHtml(formatTime(e.deadline))]);
  rows.push(['Params hash', `<code>${escapeHtml(e.paramsHash)}</code>`]);
  return card('The action', table(rows));
}

function paramsCard(e: DecisionEvidence): string {
  const body = e.params.length > 0 ? table(e.params.map(fieldRow)) : '<p>(no parameters)</p>';
  return card('Parameters (exactly what will be executed)', body);
}

function agentCard(e: DecisionEvidence): string {
  if (e.agentWritten.length === 0) return '';
  const inner = e.agentWritten.map((f) => `<h3 class="label">${escapeHtml(f.label)}</h3>\n${fieldValue(f)}`).join('\n');
  return ['<section class="card untrusted">', `<p class="label">${escapeHtml(UNTRUSTED_LABEL)}</p>`, inner, '</section>'].join('\n');
}

function decisionsCard(e: DecisionEvidence): string {
  const remaining = e.approvalsRemaining.map((r) => `${r.needed} × ${r.role}`).join(', ');
  const list =
    e.decisions.length === 0
      ? '<p>No decisions yet in this round.</p>'
      : `<ul>${e.decisions
          .map(
            (d) =>
              `<li><strong>${escapeHtml(d.reviewerId)}</strong> (${escapeHtml(d.role)}): ${escapeHtml(d.kind.replace(/_/g, ' '))}, ${escapeHtml(formatTime(d.decidedAt))}${d.comment ? ` — “${escapeHtml(d.comment)}”` : ''}</li>`,
          )
          .join('')}</ul>`;
  const still = remaining && e.standing.open ? `<p class="label">Still needed: ${escapeHtml(remaining)}</p>` : '';
  return card('Decisions so far', `${list}\n${still}`);
}

function decideSection(e: DecisionEvidence, form: DecisionFormTarget | undefined): string {
  if (!e.standing.open || !form) {
    const reason = e.standing.open ? 'No decision can be made from this page.' : e.standing.reason;
    return `<section class="card notice"><h2>No decision possible</h2><p>${escapeHtml(reason)}</p></section>`;
  }
  const hidden = (kind: string) =>
    [
      `<input type="hidden" name="kind" value="${escapeHtml(kind)}">`,
      `<input type="hidden" name="paramsHash" value="${escapeHtml(e.paramsHash)}">`,
      `<input type="hidden" name="csrf" value="${escapeHtml(form.csrf)}">`,
    ].join('\n');
  const action = escapeHtml(form.action);
  const parts: string[] = ['<section aria-labelledby="decide"><h2 id="decide">Your decision</h2>', '<div class="decide">'];
  if (e.standing.approve) {
    parts.push(
      `<form class="card" method="post" action="${action}">`,
      hidden('approve'),
      '<label for="approve-comment">Comment (optional)</label>',
      '<textarea id="approve-comment" name="comment" maxlength="5000"></textarea>',
      '<button class="approve" type="submit">Approve</button>',
      '</form>',
    );
  } else {
    parts.push('<div class="card notice"><p>The approvals needed from your role are complete. You can still reject.</p></div>');
  }
  if (e.standing.reject) {
    parts.push(
      `<form class="card" method="post" action="${action}">`,
      hidden('reject'),
      '<label for="reject-comment">Reason for rejecting (required)</label>',
      '<textarea id="reject-comment" name="comment" maxlength="5000" required></textarea>',
      '<button class="reject" type="submit">Reject</button>',
      '</form>',
    );
  }
  if (e.standing.requestChanges) {
    parts.push(
      `<form class="card" method="post" action="${action}">`,
      hidden('request_changes'),
      '<label for="changes-comment">What should the agent change? (required)</label>',
      '<textarea id="changes-comment" name="comment" maxlength="5000" required></textarea>',
      '<button class="changes" type="submit">Request changes</button>',
      '</form>',
    );
  }
  if (e.standing.escalate) {
    parts.push(
      `<form class="card" method="post" action="${action}">`,
      hidden('escalate'),
      '<label for="escalate-comment">Not yours to decide? Escalate (optional note)</label>',
      '<textarea id="escalate-comment" name="comment" maxlength="5000"></textarea>',
      '<button class="escalate" type="submit">Escalate</button>',
      '</form>',
    );
  }
  parts.push('</div>', '</section>');
  return parts.join('\n');
}

function fieldRow(f: EvidenceField): [string, string] {
  return [escapeHtml(f.label), fieldValue(f)];
}

/** Line breaks kept for multi-line text; monospace only for code-like values. */
function fieldValue(f: EvidenceField): string {
  if (f.code) return `<pre>${escapeHtml(f.value)}</pre>`;
  // `white-space: pre-wrap` keeps the line breaks of multi-line text.
  return `<p class="text">${escapeHtml(f.value)}</p>`;
}

/** Rows are already-escaped HTML. */
function table(rows: [string, string][]): string {
  return `<table>\n${rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('\n')}\n</table>`;
}

function card(title: string, body: string): string {
  return `<section class="card"><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}
