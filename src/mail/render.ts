/**
 * The notification mail: the evidence pack a reviewer needs to decide in seconds, as plain text
 * and HTML built from one content model so the two parts never say different things.
 *
 * The facts (action type, parameters, risk, policy triggers, hash) come from the canonical
 * proposal and the policy evaluation. What the agent wrote about them (summary, rationale,
 * preview, ...) is shown apart, in a box labelled as untrusted: a compromised agent narrates its
 * own approval request ("Lies-in-the-Loop"), so its words must look like claims, not facts.
 * Every string is cleaned (invisible and control characters), capped and, in HTML, escaped; the
 * only link is the decision URL Gatehouse generated.
 */
import type { PolicyEvaluation } from '../domain/evaluation';
import type { Proposal } from '../domain/proposal';
import { readPath, redactPaths } from '../policy/field-path';
import { cleanText, escapeHtml, oneLine } from './escape';
import { secretScrubber } from './secret-scrubber';

/** Why a mail is sent; matches the workflow's notice purposes. */
export type NotificationPurpose =
  | 'review_requested'
  | 'reminder'
  | 'escalated'
  | 'delegated'
  | 'outcome'
  | 'needs_attention';

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

/** Caps, in characters: enough to decide from; the decision page shows everything. */
const MAX = {
  subjectSummary: 120,
  status: 40,
  name: 200,
  line: 300,
  paramKey: 100,
  paramValue: 1_000,
  text: 2_000,
  preview: 4_000,
  sources: 20,
  url: 500,
} as const;

const UNTRUSTED_LABEL = 'Written by the agent — untrusted';

/** Cleans untrusted text and caps it at `max` characters. */
type Clean = (text: string, max?: number) => string;

interface Fact {
  label: string;
  value: string;
  /** Multi-line value (a list, JSON): kept on its own lines. */
  block?: boolean;
}

interface AgentField {
  label: string;
  value: string;
  /** Code-like text (preview, diff): monospace, so alignment and whitespace read as written. */
  mono?: boolean;
}

/** The content of one mail, cleaned and capped, before it becomes text or HTML. */
interface Content {
  subject: string;
  greeting: string;
  intro: string[];
  summary: string;
  facts: Fact[];
  params: Fact[];
  agentFields: AgentField[];
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
  const { proposal, evaluation } = view;
  const redact = evaluation?.redact ?? [];
  // Paths such as `params.cardNumber` or `evidence.preview` address this object.
  // `evidence` defaults to {} when parsed; a proposal that skipped the schema may lack it.
  const original = { params: proposal.params, evidence: proposal.evidence ?? {} };
  const masked = redactPaths(original, redact);
  const scrub = secretScrubber(redact.map((path) => readPath(original, path)));
  // Agent text: strip invisible/control characters first (so a zero-width space cannot hide a
  // secret from the scrubber), then mask redacted values it repeats, then cap.
  const agent = (text: string, max: number = MAX.text) => cleanText(scrub(cleanText(text, Infinity)), max);
  const agentLine = (text: string, max: number = MAX.line) => oneLine(scrub(oneLine(text, Infinity)), max);

  const summary = agentLine(proposal.summary, MAX.subjectSummary);
  return {
    subject: subjectFor(view, summary),
    greeting: `Hello ${oneLine(view.recipientName, MAX.name)},`,
    intro: introFor(view, agent),
    summary,
    facts: factsFor(view, agentLine),
    params: Object.keys(masked.params)
      .sort()
      .map((key) => paramFact(key, masked.params[key], agent, agentLine)),
    agentFields: agentFieldsFor(masked.evidence, agent, agentLine),
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
        return `Outcome: ${oneLine(view.outcome?.status ?? 'decided', MAX.status)} — `;
      case 'needs_attention':
        return 'Needs attention: ';
      default:
        return assertNever(view.purpose);
    }
  })();
  // oneLine again over the whole subject: a CR/LF here would let text start a new mail header.
  return oneLine(`[Gatehouse] ${prefix}${summary}`, 200);
}

function introFor(view: NotificationView, agent: Clean): string[] {
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
      lines.push(`This proposal is now: ${oneLine(view.outcome?.status ?? 'decided', MAX.status)}.`);
      if (view.outcome?.reason) lines.push(`Reason: ${agent(view.outcome.reason)}`);
      break;
    case 'needs_attention':
      lines.push('This proposal needs attention from a person: Gatehouse could not finish it on its own.');
      break;
    default:
      assertNever(view.purpose);
  }
  if (view.note) lines.push(`Note: ${agent(view.note)}`);
  return lines;
}

function factsFor(view: NotificationView, agentLine: Clean): Fact[] {
  const { proposal, evaluation } = view;
  const facts: Fact[] = [
    // The schema already restricts these; render cleans them anyway rather than trust that.
    { label: 'Action type', value: agentLine(proposal.actionType) },
    { label: 'Agent', value: `${agentLine(proposal.agent.name)} (${agentLine(proposal.agent.id)})` },
    {
      label: 'On behalf of',
      value: proposal.requestedBy.name
        ? `${agentLine(proposal.requestedBy.name)} (${agentLine(proposal.requestedBy.id)})`
        : agentLine(proposal.requestedBy.id),
    },
  ];
  if (evaluation) {
    facts.push({ label: 'Risk', value: evaluation.risk });
    // The reason can quote params (a failed validation), so it is scrubbed like agent text.
    facts.push({ label: 'Policy decision', value: agentLine(evaluation.reason) });
    if (evaluation.triggersFired.length > 0) {
      facts.push({
        label: 'Triggers fired',
        value: evaluation.triggersFired.map((t) => `- ${oneLine(t.id, 64)}: ${oneLine(t.description, MAX.line)}`).join('\n'),
        block: true,
      });
    }
    if (evaluation.steps.length > 0) {
      facts.push({
        label: 'Approvals required',
        value: evaluation.steps.map((s) => `${s.count} × ${oneLine(s.role, 64)}`).join(', '),
      });
    }
  } else {
    facts.push({ label: 'Risk', value: 'not evaluated' });
  }
  facts.push({ label: 'Round', value: String(view.round) });
  if (view.deadline) facts.push({ label: 'Decide by', value: formatDeadline(view.deadline) });
  facts.push({ label: 'Params hash', value: oneLine(view.paramsHash, 100) });
  return facts;
}

function paramFact(
  key: string,
  value: unknown,
  agent: Clean,
  agentLine: Clean,
): Fact {
  // Strings as they are; anything else as pretty JSON, so nested values keep their structure.
  const raw = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? String(value));
  const shown = agent(raw, MAX.paramValue);
  return { label: agentLine(key, MAX.paramKey), value: shown, block: shown.includes('\n') };
}

function agentFieldsFor(
  evidence: Proposal['evidence'],
  agent: Clean,
  agentLine: Clean,
): AgentField[] {
  const fields: AgentField[] = [];
  const add = (label: string, text: unknown, max: number = MAX.text, mono = false) => {
    if (typeof text === 'string' && text.trim() !== '') fields.push({ label, value: agent(text, max), mono });
  };
  add('Rationale', evidence.rationale);
  if (evidence.sources && evidence.sources.length > 0) {
    const shown = evidence.sources.slice(0, MAX.sources).map((s) => {
      // Shown as text, never as a link: the agent chose these addresses.
      const url = s.url ? ` — ${agentLine(s.url, MAX.url)}` : '';
      return `- ${agentLine(s.title)}${url}`;
    });
    const more = evidence.sources.length - shown.length;
    if (more > 0) shown.push(`(${more} more on the decision page)`);
    fields.push({ label: 'Sources', value: shown.join('\n') });
  }
  if (typeof evidence.confidence === 'number' && Number.isFinite(evidence.confidence)) {
    fields.push({ label: 'Confidence (agent’s own estimate)', value: `${Math.round(evidence.confidence * 100)} %` });
  }
  if (evidence.piiDetected) {
    fields.push({ label: 'Personal data', value: 'The agent reports personal data in this proposal.' });
  }
  add('Preview', evidence.preview, MAX.preview, true);
  add('Diff', evidence.diff, MAX.preview, true);
  add('Rollback plan', evidence.rollbackPlan);
  add('Risk notes', evidence.riskNotes);
  return fields;
}

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
  const out: string[] = [c.greeting, '', ...c.intro, ''];
  out.push(`Summary (${UNTRUSTED_LABEL}):`, quote(c.summary), '');
  out.push('== The action ==', ...c.facts.map(textFact), '');
  out.push('== Parameters ==');
  out.push(...(c.params.length > 0 ? c.params.map(textFact) : ['(none)']), '');
  if (c.agentFields.length > 0) {
    out.push(`== ${UNTRUSTED_LABEL} ==`);
    for (const field of c.agentFields) {
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

function htmlAgentField(field: AgentField): string {
  const label = `<p style="margin:8px 0 2px;font-weight:bold">${escapeHtml(field.label)}</p>`;
  const value = field.mono
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
    untrustedBox(UNTRUSTED_LABEL, htmlAgentField({ label: 'Summary', value: c.summary })),
    '<h2 style="font-size:16px;margin:16px 0 4px">The action</h2>',
    htmlTable(c.facts),
    '<h2 style="font-size:16px;margin:16px 0 4px">Parameters</h2>',
    c.params.length > 0 ? htmlTable(c.params) : '<p>(none)</p>',
  ];
  if (c.agentFields.length > 0) {
    parts.push(untrustedBox(UNTRUSTED_LABEL, c.agentFields.map(htmlAgentField).join('\n')));
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
