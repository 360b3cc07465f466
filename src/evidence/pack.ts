/**
 * The evidence pack: what a reviewer sees to decide in seconds, as one content model. The mail
 * (text and HTML), the decision page and the JSON API are renderers of it, so they cannot drift
 * apart on what is shown, what is masked or how hostile text is cleaned.
 *
 * The facts (action type, params in a fixed table, risk, triggers, hash) come from the canonical
 * proposal and the policy evaluation. What the agent wrote about them (summary, rationale,
 * sources, preview, ...) is kept apart and labelled untrusted, because a compromised agent narrates
 * its own approval request ("Lies-in-the-Loop"). Every string is cleaned of invisible and control
 * characters, the policy's redacted fields are masked where they sit and wherever their values are
 * repeated (also split or disguised), and everything is capped. Nothing here is HTML-escaped:
 * the HTML renderers escape at the last moment, the API returns JSON.
 */
import type { DecisionKind } from '../domain/decision';
import type { PolicyEvaluation } from '../domain/evaluation';
import type { Proposal } from '../domain/proposal';
import type { DecisionRecord } from '../domain/state';
import { diffParams } from './params-diff';
import { REDACTED, redactedParamPaths, redactionRoot, redactPaths, scrubberFor, type RedactionSource } from './redaction';
import { cleanText, oneLine } from './text';

/** Caps, in characters, per channel. The page shows more than the mail, but nothing unbounded. */
export const EVIDENCE_CAPS = {
  mail: {
    summary: 120,
    line: 300,
    paramKey: 100,
    paramValue: 1_000,
    text: 2_000,
    preview: 4_000,
    sources: 20,
    url: 500,
    comment: 2_000,
    diffValue: 300,
    diffRows: 20,
    drift: 20,
  },
  page: {
    summary: 200,
    line: 300,
    paramKey: 100,
    paramValue: 5_000,
    text: 10_000,
    preview: 50_000,
    sources: 50,
    url: 500,
    comment: 5_000,
    diffValue: 1_000,
    diffRows: 100,
    drift: 50,
  },
} as const;
export type EvidenceCaps = { readonly [K in keyof (typeof EVIDENCE_CAPS)['page']]: number };

/** One row of a fixed two-column table. */
export interface EvidenceField {
  label: string;
  value: string;
  /** Multi-line: line breaks are kept. */
  multiline: boolean;
  /** Code-like (JSON, a preview, a diff): shown in a monospace font. */
  code?: boolean;
}

/** One changed field between the agent's params and the version under review. */
export interface ParamChange {
  /** Dotted path below `params`. */
  field: string;
  /** Display text; `(not set)` when the field is absent on that side, the marker when redacted. */
  agent: string;
  current: string;
}

/** A precondition the target no longer met when the run was about to commit. */
export interface DriftedFact {
  field: string;
  expected: string;
  actual: string;
}

/** A decision as shown: the comment is a person's text, cleaned and masked like the agent's. */
export interface ShownDecision {
  reviewerId: string;
  role: string;
  kind: DecisionKind;
  decidedAt: string;
  comment?: string;
}

/** What the pack is built from: a run's state, or a notice's parts. */
export interface EvidenceSource extends RedactionSource {
  proposal: Proposal;
  evaluation?: PolicyEvaluation | undefined;
  paramsHash: string;
  round: number;
  /** ISO time the round expires. */
  deadline?: string | undefined;
  /** The decisions to show (the current round's). */
  decisions?: readonly DecisionRecord[];
  /** Reviewers who approved an edited version, in any round; named beside the diff. */
  editedBy?: readonly Pick<DecisionRecord, 'reviewerId' | 'role' | 'round'>[];
  preconditionDrift?: readonly { field: string; expected: unknown; actual: unknown }[] | undefined;
}

/** Everything a reviewer needs to decide, cleaned, masked and capped. */
export interface EvidencePack {
  round: number;
  /** Agent-written one-liner: shown first, but labelled as the agent's. */
  summary: string;
  actionType: string;
  risk: string;
  policy?: { version: string; reason: string };
  triggersFired: { id: string; description: string }[];
  approvalsRequired: { role: string; count: number }[];
  agent: { id: string; name: string };
  requestedBy: { id: string; name?: string };
  /** The canonical params, one row per top-level key, redacted fields masked. */
  params: EvidenceField[];
  /** Rationale, sources, confidence, preview, diff, rollback plan...: the agent's claims. */
  agentWritten: EvidenceField[];
  deadline?: string;
  paramsHash: string;
  /** Decisions so far in this round. */
  decisions: ShownDecision[];
  /**
   * How the params under review differ from the agent's original version (`originalParams`), field
   * by field, redaction applied to both sides; with the reviewers who approved an edited version.
   * Absent while the params are the agent's original.
   */
  edits?: { editedBy: { reviewerId: string; role: string; round: number }[]; changes: ParamChange[]; truncated: boolean };
  /** Facts about the target that changed after an earlier approval and sent the run back. */
  preconditionDrift?: DriftedFact[];
}

/** Cleans, masks and caps untrusted text for this run: the one path every shown string takes. */
export interface EvidenceText {
  /** Multi-line text (line breaks kept). */
  block(text: string, max?: number): string;
  /** One line (line breaks become spaces). */
  line(text: string, max?: number): string;
}

export function evidenceText(source: RedactionSource, caps: EvidenceCaps): EvidenceText {
  const scrub = scrubberFor(source);
  // Clean first so the scrubber sees the text a person reads, then mask, then cap: capping last
  // so a cut can never leave the first half of a secret in clear.
  return {
    block: (text, max = caps.text) => cleanText(scrub(cleanText(text, Infinity)), max),
    line: (text, max = caps.line) => oneLine(scrub(oneLine(text, Infinity)), max),
  };
}

export function buildEvidencePack(source: EvidenceSource, caps: EvidenceCaps): EvidencePack {
  const { proposal, evaluation } = source;
  const masked = redactPaths(redactionRoot(source), evaluation?.redact ?? []);
  const text = evidenceText(source, caps);
  return {
    round: source.round,
    summary: text.line(proposal.summary, caps.summary),
    actionType: text.line(proposal.actionType),
    risk: evaluation?.risk ?? 'not evaluated',
    // The policy's reason can quote params (a failed validation), so it is masked like agent text.
    ...(evaluation ? { policy: { version: oneLine(evaluation.policyVersion, caps.line), reason: text.line(evaluation.reason) } } : {}),
    triggersFired: (evaluation?.triggersFired ?? []).map((t) => ({
      id: oneLine(t.id, 64),
      description: oneLine(t.description, caps.line),
    })),
    approvalsRequired: (evaluation?.steps ?? []).map((s) => ({ role: oneLine(s.role, 64), count: s.count })),
    agent: { id: text.line(proposal.agent.id), name: text.line(proposal.agent.name) },
    requestedBy: {
      id: text.line(proposal.requestedBy.id),
      ...(proposal.requestedBy.name ? { name: text.line(proposal.requestedBy.name) } : {}),
    },
    params: Object.keys(masked.params)
      .sort()
      .map((key) => paramField(text.line(key, caps.paramKey), masked.params[key], text, caps)),
    agentWritten: agentFields(masked.evidence, text, caps),
    ...(source.deadline ? { deadline: source.deadline } : {}),
    paramsHash: oneLine(source.paramsHash, 100),
    decisions: (source.decisions ?? []).map((d) => ({
      reviewerId: oneLine(d.reviewerId, caps.line),
      role: oneLine(d.role, 64),
      kind: d.kind,
      decidedAt: d.decidedAt,
      // Reviewers' comments are people's text, not the agent's, but still untrusted input, and a
      // reviewer may paste the very value the policy hides.
      ...(d.comment ? { comment: text.block(d.comment, caps.comment) } : {}),
    })),
    ...editsOf(source, text, caps),
    ...driftOf(source, text, caps),
  };
}

function editsOf(source: EvidenceSource, text: EvidenceText, caps: EvidenceCaps): Pick<EvidencePack, 'edits'> {
  if (!source.originalParams) return {};
  const { differences, truncated } = diffParams(source.originalParams, source.proposal.params, redactedParamPaths(source), caps.diffRows);
  if (differences.length === 0) return {};
  const show = (value: unknown, redacted: boolean): string => {
    if (value === undefined) return '(not set)';
    if (redacted) return REDACTED;
    return text.block(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'), caps.diffValue);
  };
  return {
    edits: {
      // The agent's own revisions also change the params; only reviewers' edits are named.
      editedBy: (source.editedBy ?? []).map((d) => ({
        reviewerId: oneLine(d.reviewerId, caps.line),
        role: oneLine(d.role, 64),
        round: d.round,
      })),
      changes: differences.map((d) => ({
        field: text.line(d.path.join('.') || '(all parameters)', caps.paramKey),
        agent: show(d.before, d.redacted),
        current: show(d.after, d.redacted),
      })),
      truncated,
    },
  };
}

function driftOf(source: EvidenceSource, text: EvidenceText, caps: EvidenceCaps): Pick<EvidencePack, 'preconditionDrift'> {
  const drift = source.preconditionDrift ?? [];
  if (drift.length === 0) return {};
  const redact = new Set(source.evaluation?.redact ?? []);
  const show = (field: string, value: unknown): string => {
    if (redact.has(`evidence.preconditions.${field}`) || redact.has('evidence.preconditions') || redact.has('evidence')) return REDACTED;
    if (value === undefined) return '(not set)';
    return text.line(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'));
  };
  return {
    preconditionDrift: drift.slice(0, caps.drift).map((d) => ({
      field: text.line(d.field, caps.paramKey),
      expected: show(d.field, d.expected),
      actual: show(d.field, d.actual),
    })),
  };
}

function paramField(label: string, value: unknown, text: EvidenceText, caps: EvidenceCaps): EvidenceField {
  // Strings as they are; anything else as pretty JSON, so nested values keep their structure.
  if (typeof value === 'string') {
    const shown = text.block(value, caps.paramValue);
    return { label, value: shown, multiline: shown.includes('\n') };
  }
  const json = JSON.stringify(value, null, 2) ?? String(value);
  const shown = text.block(json, caps.paramValue);
  return { label, value: shown, multiline: shown.includes('\n'), code: true };
}

function agentFields(evidence: Proposal['evidence'], text: EvidenceText, caps: EvidenceCaps): EvidenceField[] {
  const fields: EvidenceField[] = [];
  const add = (label: string, value: unknown, max: number = caps.text, code = false) => {
    if (typeof value === 'string' && value.trim() !== '')
      fields.push({ label, value: text.block(value, max), multiline: true, ...(code ? { code } : {}) });
  };
  add('Rationale', evidence.rationale);
  if (evidence.sources && evidence.sources.length > 0) {
    // Shown as text, never as links: the agent chose these addresses.
    const lines = evidence.sources
      .slice(0, caps.sources)
      .map((s) => `- ${text.line(s.title)}${s.url ? ` — ${text.line(s.url, caps.url)}` : ''}`);
    const more = evidence.sources.length - lines.length;
    if (more > 0) lines.push(`(${more} more on the decision page)`);
    fields.push({ label: 'Sources', value: lines.join('\n'), multiline: true });
  }
  if (evidence.attachments && evidence.attachments.length > 0) {
    // By reference: text, never links, and never fetched; the hash lets a reviewer check a download.
    const lines = evidence.attachments.map((a) => {
      const size = a.bytes !== undefined ? `, ${a.bytes} bytes` : '';
      const type = a.mediaType ? `, ${text.line(a.mediaType)}` : '';
      return `- ${text.line(a.title)} — ${text.line(a.url, caps.url)} (SHA-256 ${a.sha256}${size}${type})`;
    });
    lines.push('Not fetched by Gatehouse: compare the SHA-256 of what you download.');
    fields.push({ label: 'Attached by reference', value: lines.join('\n'), multiline: true });
  }
  if (typeof evidence.confidence === 'number' && Number.isFinite(evidence.confidence)) {
    fields.push({ label: 'Confidence (agent’s own estimate)', value: `${Math.round(evidence.confidence * 100)} %`, multiline: false });
  }
  if (evidence.piiDetected) {
    fields.push({ label: 'Personal data', value: 'The agent reports personal data in this proposal.', multiline: false });
  }
  if (evidence.preconditions && Object.keys(evidence.preconditions).length > 0) {
    add('Preconditions', JSON.stringify(evidence.preconditions, null, 2), caps.text, true);
  }
  add('Preview', evidence.preview, caps.preview, true);
  add('Diff', evidence.diff, caps.preview, true);
  add('Rollback plan', evidence.rollbackPlan);
  add('Risk notes', evidence.riskNotes);
  // The seed's decision matrix, item by item (what each action type's policy may require).
  add('Customer context', evidence.customerContext);
  if (evidence.policyChecks && evidence.policyChecks.length > 0) {
    const lines = evidence.policyChecks.map(
      (c) => `${c.outcome === 'flagged' ? 'FLAGGED' : 'passed'}: ${text.line(c.check)}${c.note ? ` — ${text.line(c.note)}` : ''}`,
    );
    fields.push({ label: 'Policy checks (agent’s own)', value: lines.join('\n'), multiline: true });
  }
  if (evidence.extractedFields && Object.keys(evidence.extractedFields).length > 0) {
    add('Extracted fields', JSON.stringify(evidence.extractedFields, null, 2), caps.text, true);
  }
  add('Request source', evidence.requestSource);
  add('Least-privilege mapping', evidence.leastPrivilege);
  add('Invoice', evidence.invoice);
  add('Vendor validation', evidence.vendorValidation);
  add('Reconciliation', evidence.reconciliation);
  add('Tests', evidence.tests, caps.preview, true);
  if (typeof evidence.riskScore === 'number' && Number.isFinite(evidence.riskScore)) {
    fields.push({ label: 'Risk score (agent’s own estimate)', value: `${Math.round(evidence.riskScore * 100)} / 100`, multiline: false });
  }
  add('Impact analysis', evidence.impactAnalysis);
  return fields;
}
