/**
 * The notification mail: the evidence pack a reviewer needs to decide in seconds, as plain text
 * and HTML. Both parts render the one content model of src/evidence/pack, the same the decision
 * page and the JSON API render, so no channel says different things or masks less.
 *
 * What the agent wrote (summary, rationale, preview, ...) is shown apart, in a box labelled as
 * untrusted: a compromised agent narrates its own approval request ("Lies-in-the-Loop"), so its
 * words must look like claims, not facts. HTML escapes every value; the only link is the decision
 * URL Gatehouse generated.
 */
import type { PolicyEvaluation } from '../domain/evaluation';
import type { Proposal } from '../domain/proposal';
import { buildEvidencePack, EVIDENCE_CAPS, evidenceText, type EvidenceField, type EvidencePack, type EvidenceText } from '../evidence/pack';
import { escapeHtml, oneLine } from '../evidence/text';

/** Enough to decide from: the decision page shows everything. */
const CAPS = EVIDENCE_CAPS.mail;
const MAX_STATUS = 40;

/** Why a mail is sent; matches the workflow's notice purposes. */
export type NotificationPurpose =
  'review_requested' | 'reminder' | 'escalated' | 'delegated' | 'outcome' | 'needs_attention' | 'undeliverable' | 'fresh_link';

/** Everything a notification shows. All proposal text is treated as untrusted. */
export interface NotificationView {
  purpose: NotificationPurpose;
  /** From our reviewer directory. */
  recipientName: string;
  proposal: Proposal;
  /** Absent only when the policy has not been evaluated; then nothing is redacted by policy. */
  evaluation?: PolicyEvaluation;
  paramsHash: string;
  round: number;
  /** ISO time the decision is due. */
  deadline?: string;
  /** Link with the reviewer's token; must be absolute http(s). */
  decisionUrl?: string;
  outcome?: { status: string; reason?: string };
  note?: string;
}

/** A rendered mail body with its one-line subject. */
export interface RenderedNotification {
  subject: string;
  text: string;
  html: string;
}

/** Thrown when a view cannot be rendered safely (a decision URL that is not absolute http(s)). */
export class NotificationRenderError extends Error {
  override readonly name = 'NotificationRenderError';
}

const UNTRUSTED_LABEL = 'Written by the agent — untrusted';

/** A row of the mail's tables. */
interface Fact {
  label: string;
  value: string;
  /** Multi-line value (a list, JSON): kept on its own lines. */
  block?: boolean;
}

/** The mail: the evidence pack plus what only a mail has (subject, greeting, intro, link). */
interface Content {
  subject: string;
  greeting: string;
  intro: string[];
  pack: EvidencePack;
  facts: Fact[];
  decisionUrl?: string;
}

/**
 * Renders a notification as subject, text and HTML.
 *
 * @throws {@link NotificationRenderError} when `decisionUrl` is not an absolute http(s) URL.
 */
export function renderNotification(view: NotificationView): RenderedNotification {
  const content = buildContent(view);
  return { subject: content.subject, text: renderText(content), html: renderHtml(content) };
}

function buildContent(view: NotificationView): Content {
  const source = {
    proposal: view.proposal,
    evaluation: view.evaluation,
    paramsHash: view.paramsHash,
    round: view.round,
    deadline: view.deadline,
  };
  const pack = buildEvidencePack(source, CAPS);
  const text = evidenceText(source, CAPS);
  return {
    subject: subjectFor(view, pack.summary),
    greeting: `Hello ${oneLine(view.recipientName, 200)},`,
    intro: introFor(view, text),
    pack,
    facts: factsFor(pack),
    ...(view.decisionUrl !== undefined ? { decisionUrl: checkedDecisionUrl(view.decisionUrl) } : {}),
  };
}

function subjectFor(view: NotificationView, summary: string): string {
  const prefix = ((): string => {
    switch (view.purpose) {
      case 'review_requested':
        return 'Approval needed: ';
      case 'reminder':
        return 'Reminder: ';
      case 'escalated':
        return 'Escalated: ';
      case 'delegated':
        return 'Delegated to you: ';
      case 'outcome':
        return `Outcome: ${oneLine(view.outcome?.status ?? 'decided', MAX_STATUS)} — `;
      case 'needs_attention':
        return 'Needs attention: ';
      case 'undeliverable':
        return 'Mail undeliverable: ';
      case 'fresh_link':
        return 'Your new link: ';
      default:
        return assertNever(view.purpose);
    }
  })();
  // oneLine again over the whole subject: a CR/LF here would let text start a new mail header.
  return oneLine(`[Gatehouse] ${prefix}${summary}`, 200);
}

function introFor(view: NotificationView, text: EvidenceText): string[] {
  const lines: string[] = [];
  switch (view.purpose) {
    case 'review_requested':
      lines.push('An AI agent asks for your approval before it acts. Nothing happens until the required reviewers decide.');
      break;
    case 'reminder':
      lines.push('This proposal is still waiting for your decision.');
      break;
    case 'escalated':
      lines.push('This proposal was escalated to you because it was not decided in time.');
      break;
    case 'delegated':
      lines.push('A reviewer delegated this decision to you.');
      break;
    case 'outcome':
      lines.push(`This proposal is now: ${oneLine(view.outcome?.status ?? 'decided', MAX_STATUS)}.`);
      if (view.outcome?.reason) lines.push(`Reason: ${text.block(view.outcome.reason)}`);
      break;
    case 'needs_attention':
      lines.push('This proposal needs attention from a person: Gatehouse could not finish it on its own.');
      if (view.outcome?.reason) lines.push(`Why: ${text.block(view.outcome.reason)}`);
      break;
    case 'fresh_link':
      lines.push(
        'You asked for a fresh link to this proposal: the one below replaces the links in earlier mails. If you did not ask for it, you can ignore this mail.',
      );
      break;
    case 'undeliverable':
      lines.push(
        'A notification about this proposal was refused by the mail server for good. The run goes on by its clock (reminders, escalation, expiry); reach the people named below another way.',
      );
      break;
    default:
      assertNever(view.purpose);
  }
  if (view.note) lines.push(`Note: ${text.block(view.note)}`);
  return lines;
}

function factsFor(pack: EvidencePack): Fact[] {
  const facts: Fact[] = [
    { label: 'Action type', value: pack.actionType },
    { label: 'Agent', value: `${pack.agent.name} (${pack.agent.id})` },
    { label: 'On behalf of', value: pack.requestedBy.name ? `${pack.requestedBy.name} (${pack.requestedBy.id})` : pack.requestedBy.id },
    { label: 'Risk', value: pack.risk },
  ];
  if (pack.policy) facts.push({ label: 'Policy decision', value: pack.policy.reason });
  if (pack.triggersFired.length > 0) {
    facts.push({ label: 'Triggers fired', value: pack.triggersFired.map((t) => `- ${t.id}: ${t.description}`).join('\n'), block: true });
  }
  if (pack.approvalsRequired.length > 0) {
    facts.push({ label: 'Approvals required', value: pack.approvalsRequired.map((s) => `${s.count} × ${s.role}`).join(', ') });
  }
  facts.push({ label: 'Round', value: String(pack.round) });
  if (pack.deadline) facts.push({ label: 'Decide by', value: formatDeadline(pack.deadline) });
  facts.push({ label: 'Params hash', value: pack.paramsHash });
  return facts;
}

const paramFact = (field: EvidenceField): Fact => ({ label: field.label, value: field.value, block: field.multiline });

function checkedDecisionUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NotificationRenderError('decision URL is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new NotificationRenderError(`decision URL must be http(s), not ${url.protocol}`);
  }
  return url.href;
}

function formatDeadline(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return oneLine(iso, 40);
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

// ---------------------------------------------------------------------------------------------
// Plain text

/** Every agent line is prefixed, so a fake "end of agent text" line still reads as agent text. */
function quote(text: string): string {
  return text
    .split('\n')
    .map((line) => `  | ${line}`)
    .join('\n');
}

function textFact(fact: Fact): string {
  return fact.block ? `${fact.label}:\n${indent(fact.value)}` : `${fact.label}: ${fact.value}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

function renderText(c: Content): string {
  const params = c.pack.params.map(paramFact);
  const out: string[] = [c.greeting, '', ...c.intro, ''];
  out.push(`Summary (${UNTRUSTED_LABEL}):`, quote(c.pack.summary), '');
  out.push('== The action ==', ...c.facts.map(textFact), '');
  out.push('== Parameters ==');
  out.push(...(params.length > 0 ? params.map(textFact) : ['(none)']), '');
  if (c.pack.agentWritten.length > 0) {
    out.push(`== ${UNTRUSTED_LABEL} ==`);
    for (const field of c.pack.agentWritten) {
      out.push(`${field.label}:`, quote(field.value));
    }
    out.push(`== End of agent text ==`, '');
  }
  if (c.decisionUrl) {
    out.push('Review and decide:', c.decisionUrl, '');
    out.push('Opening the link decides nothing: the page shows the evidence, and you approve or reject there.');
  }
  out.push('', '-- Gatehouse');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// HTML: every value escaped; inline styles only (mail clients drop <style>); no scripts.

const STYLE = {
  body: 'font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.45;color:#111;max-width:720px;margin:0 auto;padding:16px',
  box: 'border:2px dashed #b45309;background:#fffbeb;padding:12px;margin:16px 0',
  boxLabel: 'margin:0 0 8px;font-weight:bold;color:#92400e',
  table: 'border-collapse:collapse;width:100%;margin:8px 0 16px',
  th: 'text-align:left;vertical-align:top;padding:4px 12px 4px 0;white-space:nowrap;color:#444;font-weight:normal',
  td: 'vertical-align:top;padding:4px 0',
  pre: 'margin:0;white-space:pre-wrap;word-break:break-word;font-family:Menlo,Consolas,monospace;font-size:13px',
  prose: 'margin:0;white-space:pre-wrap;word-break:break-word',
  button: 'display:inline-block;background:#1d4ed8;color:#fff;padding:10px 18px;border-radius:4px;text-decoration:none;font-weight:bold',
} as const;

function htmlValue(value: string, block: boolean | undefined): string {
  return block ? `<pre style="${STYLE.pre}">${escapeHtml(value)}</pre>` : escapeHtml(value);
}

function htmlAgentField(field: Pick<EvidenceField, 'label' | 'value' | 'code'>): string {
  const label = `<p style="margin:8px 0 2px;font-weight:bold">${escapeHtml(field.label)}</p>`;
  const value = field.code
    ? `<pre style="${STYLE.pre}">${escapeHtml(field.value)}</pre>`
    : `<div style="${STYLE.prose}">${escapeHtml(field.value)}</div>`;
  return `${label}\n${value}`;
}

function htmlTable(rows: Fact[]): string {
  const body = rows
    .map(
      (r) =>
        `<tr><th scope="row" style="${STYLE.th}">${escapeHtml(r.label)}</th><td style="${STYLE.td}">${htmlValue(r.value, r.block)}</td></tr>`,
    )
    .join('\n');
  return `<table role="presentation" style="${STYLE.table}">\n${body}\n</table>`;
}

function untrustedBox(title: string, inner: string): string {
  return `<div style="${STYLE.box}">\n<p style="${STYLE.boxLabel}">${escapeHtml(title)}</p>\n${inner}\n</div>`;
}

function renderHtml(c: Content): string {
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Viewers that honour it (browsers, the dev inbox) run nothing and load nothing remote.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(c.subject)}</title>`,
    '</head>',
    `<body style="${STYLE.body}">`,
    `<p>${escapeHtml(c.greeting)}</p>`,
    ...c.intro.map((line) => `<p>${escapeHtml(line)}</p>`),
    untrustedBox(UNTRUSTED_LABEL, htmlAgentField({ label: 'Summary', value: c.pack.summary })),
    '<h2 style="font-size:16px;margin:16px 0 4px">The action</h2>',
    htmlTable(c.facts),
    '<h2 style="font-size:16px;margin:16px 0 4px">Parameters</h2>',
    c.pack.params.length > 0 ? htmlTable(c.pack.params.map(paramFact)) : '<p>(none)</p>',
  ];
  if (c.pack.agentWritten.length > 0) {
    parts.push(untrustedBox(UNTRUSTED_LABEL, c.pack.agentWritten.map(htmlAgentField).join('\n')));
  }
  if (c.decisionUrl) {
    parts.push(
      `<p style="margin:24px 0 8px"><a href="${escapeHtml(c.decisionUrl)}" rel="noopener noreferrer" style="${STYLE.button}">Review and decide</a></p>`,
      '<p style="color:#444">Opening the link decides nothing: the page shows the evidence, and you approve or reject there.</p>',
    );
  }
  parts.push('<p style="color:#666">— Gatehouse</p>', '</body>', '</html>');
  return parts.join('\n');
}

function assertNever(value: never): never {
  throw new NotificationRenderError(`unknown notification purpose: ${String(value)}`);
}
