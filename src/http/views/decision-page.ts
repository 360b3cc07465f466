/**
 * The decision page: the evidence pack, then the forms. Every value is escaped here, at the last
 * moment, whatever cleaning happened before; agent text sits in a box that says who wrote it.
 */
import { escapeHtml } from '../../evidence/text';
import { editorJson } from '../edited-params';
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
    driftCard(e),
    paramsCard(e),
    editsCard(e),
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
  rows.push([
    'On behalf of',
    e.requestedBy.name
      ? `${escapeHtml(e.requestedBy.name)} (<code>${escapeHtml(e.requestedBy.id)}</code>)`
      : `<code>${escapeHtml(e.requestedBy.id)}</code>`,
  ]);
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

/** The target moved after an approval: the reviewers must see what changed before approving again. */
function driftCard(e: DecisionEvidence): string {
  if (!e.preconditionDrift) return '';
  const items = e.preconditionDrift
    .map((d) => `<li><code>${escapeHtml(d.field)}</code>: ${escapeHtml(d.expected)} → ${escapeHtml(d.actual)}</li>`)
    .join('');
  return [
    '<section class="card notice" aria-labelledby="drift">',
    '<h2 id="drift">Changed since the last approval</h2>',
    `<ul>${items}</ul>`,
    '<p class="label">The target no longer matched what the agent saw, so nothing was executed. Decide on the world as it is now.</p>',
    '</section>',
  ].join('\n');
}

/** What changed since the agent's original version: a reviewer approving an edit must see the edit. */
function editsCard(e: DecisionEvidence): string {
  if (!e.edits) return '';
  const who = e.edits.editedBy
    .map((d) => `Edited by <strong>${escapeHtml(d.reviewerId)}</strong> (${escapeHtml(d.role)}) in round ${escapeHtml(String(d.round))}.`)
    .join(' ');
  const by = `<p>${who || 'Revised since the agent’s first version.'} The agent originally proposed different values for these fields:</p>`;
  const rows = e.edits.changes
    .map(
      (c) =>
        `<tr><th scope="row"><code>${escapeHtml(c.field)}</code></th><td class="old"><pre>${escapeHtml(c.agent)}</pre></td><td class="new"><pre>${escapeHtml(c.current)}</pre></td></tr>`,
    )
    .join('\n');
  return [
    '<section class="card" aria-labelledby="edits">',
    '<h2 id="edits">Changes to the agent’s original version</h2>',
    by,
    '<table class="diff">',
    '<thead><tr><th scope="col">Field</th><th scope="col">Agent’s original</th><th scope="col">Under review</th></tr></thead>',
    `<tbody>\n${rows}\n</tbody>`,
    '</table>',
    e.edits.truncated ? '<p class="label">More fields changed than are shown here.</p>' : '',
    '</section>',
  ]
    .filter((part) => part !== '')
    .join('\n');
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
  if (e.standing.delegate && e.delegateCandidates && e.delegateCandidates.length > 0) {
    const options = e.delegateCandidates
      .map((c) => `<option value="${escapeHtml(c.id)}">${escapeHtml(c.name)} (${escapeHtml(c.id)})</option>`)
      .join('');
    parts.push(
      `<form class="card" method="post" action="${action}">`,
      hidden('delegate'),
      '<label for="delegate-to">Hand this decision to</label>',
      `<select id="delegate-to" name="delegateTo" required><option value="">Choose a reviewer…</option>${options}</select>`,
      '<label for="delegate-comment" class="spaced">Note for them (optional)</label>',
      '<textarea id="delegate-comment" name="comment" maxlength="5000"></textarea>',
      '<button class="delegate" type="submit">Delegate</button>',
      '<p class="label">They decide in your place, as ' + escapeHtml(e.reviewer.role) + '; you cannot decide on this round afterwards.</p>',
      '</form>',
    );
  }
  parts.push(editForm(e, action, hidden));
  parts.push('</div>', '</section>');
  return parts.join('\n');
}

function editForm(e: DecisionEvidence, action: string, hidden: (kind: string) => string): string {
  if (!e.editor) return '';
  if (!e.editor.offered) return `<div class="card notice wide"><p>${escapeHtml(e.editor.reason)}</p></div>`;
  if (!e.standing.open || !e.standing.approveWithEdits) return '';
  const json = editorJson(e.editor.params);
  const rows = Math.min(30, Math.max(8, json.split('\n').length + 1));
  const redacted =
    e.editor.redactedFields.length > 0
      ? `<p class="hint">Redacted fields are not shown and cannot be edited here; they keep their current value: ${e.editor.redactedFields.map((f) => `<code>${escapeHtml(f)}</code>`).join(', ')}.</p>`
      : '';
  return [
    `<form class="card wide" method="post" action="${action}">`,
    hidden('approve_with_edits'),
    '<label for="edit-params">Approve with edits</label>',
    '<p class="hint">Change the parameters below (JSON) and approve your version. It replaces the agent’s as a whole: a field you delete is removed. Gatehouse checks it against the action type and the policy again; if your version needs more approvals, those reviewers are asked before anything runs.</p>',
    redacted,
    `<textarea id="edit-params" class="code" name="editedParams" rows="${rows}" spellcheck="false" autocomplete="off" autocapitalize="off" required>${escapeHtml(json)}</textarea>`,
    '<label for="edit-comment" class="spaced">Comment (optional)</label>',
    '<textarea id="edit-comment" name="comment" maxlength="5000"></textarea>',
    '<button class="edits" type="submit">Approve with edits</button>',
    '</form>',
  ]
    .filter((part) => part !== '')
    .join('\n');
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
