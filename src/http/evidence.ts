/**
 * The evidence pack as the decision page and the JSON API show it, built from the run's state.
 *
 * Mirrors the mail's content model (src/mail/render.ts): the facts (action type, params in a fixed
 * table, risk, triggers, hash) come from the canonical proposal and the policy evaluation; what the
 * agent wrote about them is kept apart and labelled untrusted, because a compromised agent narrates
 * its own approval request ("Lies-in-the-Loop"). Every string is cleaned of invisible and control
 * characters and capped; the policy's redacted fields are masked, also where the agent repeats
 * them. Nothing here is HTML-escaped: the views escape, the API returns JSON.
 */
import { DecisionKind } from '../domain/decision';
import type { ApprovalState } from '../domain/state';
import { currentRoundDecisions, delegateCandidates, eligibleReviewers, remainingSlots } from '../domain/standing';
import type { Status } from '../domain/status';
import type { LinkClaims } from '../links/token';
import { cleanText, oneLine } from '../mail/escape';
import { REDACTED, redactPaths } from '../policy/field-path';
import { paramsEditor, type ParamsEditor } from './edited-params';
import { diffParams } from './params-diff';
import { redactedParamPaths, redactionRoot, scrubberFor } from './redaction';
import type { Standing } from './standing';

/** Caps, in characters. The page shows more than the mail, but nothing unbounded. */
const MAX = {
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
} as const;

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

/** Everything a reviewer needs to decide, cleaned and capped. */
export interface DecisionEvidence {
  workflowId: string;
  status: Status;
  round: number;
  /** Agent-written one-liner: shown first, but labelled as the agent's. */
  summary: string;
  actionType: string;
  risk: string;
  policy?: { version: string; reason: string };
  triggersFired: { id: string; description: string }[];
  approvalsRequired: { role: string; count: number }[];
  approvalsRemaining: { role: string; needed: number }[];
  agent: { id: string; name: string };
  requestedBy: { id: string; name?: string };
  /** The canonical params, one row per top-level key, redacted fields masked. */
  params: EvidenceField[];
  /** Rationale, sources, confidence, preview, diff, rollback plan...: the agent's claims. */
  agentWritten: EvidenceField[];
  /** ISO time the round expires. */
  deadline?: string;
  paramsHash: string;
  /** The link holder. */
  reviewer: { id: string; name?: string; role: string };
  /** Decisions so far in this round. */
  decisions: { reviewerId: string; role: string; kind: DecisionKind; decidedAt: string; comment?: string }[];
  standing: Standing;
  /**
   * How the params under review differ from the agent's original version (`originalParams`), field
   * by field, redaction applied to both sides; with the reviewers who approved an edited version.
   * Absent while the params are the agent's original.
   */
  edits?: { editedBy: { reviewerId: string; role: string; round: number }[]; changes: ParamChange[]; truncated: boolean };
  /** Facts about the target that changed after an earlier approval and sent the run back. */
  preconditionDrift?: DriftedFact[];
  /**
   * Not HTML-cleaned, on purpose: these are the exact values an edit starts from, so they
   * round-trip; the page shows invisible characters as escapes. Present while the reviewer may approve.
   */
  editor?: ParamsEditor;
  /** People of the reviewer's role who may take the decision over (ids are what the API takes). */
  delegateCandidates?: { id: string; name: string }[];
}

export function buildEvidence(state: ApprovalState, claims: LinkClaims, standing: Standing): DecisionEvidence {
  const { proposal, evaluation } = state;
  const redact = evaluation?.redact ?? [];
  const masked = redactPaths(redactionRoot(state), redact);
  const scrub = scrubberFor(state);
  const agent = (text: string, max: number = MAX.text) => cleanText(scrub(cleanText(text, Infinity)), max);
  const agentLine = (text: string, max: number = MAX.line) => oneLine(scrub(text), max);
  const me = eligibleReviewers(state).find((e) => e.reviewer.id === claims.sub && e.role === claims.role);

  return {
    workflowId: state.workflowId,
    status: state.status,
    round: state.round,
    summary: agentLine(proposal.summary, MAX.summary),
    actionType: agentLine(proposal.actionType),
    risk: evaluation?.risk ?? 'not evaluated',
    ...(evaluation ? { policy: { version: oneLine(evaluation.policyVersion, MAX.line), reason: oneLine(evaluation.reason, MAX.line) } } : {}),
    triggersFired: (evaluation?.triggersFired ?? []).map((t) => ({ id: oneLine(t.id, 64), description: oneLine(t.description, MAX.line) })),
    approvalsRequired: (evaluation?.steps ?? []).map((s) => ({ role: s.role, count: s.count })),
    approvalsRemaining: remainingSlots(state),
    agent: { id: agentLine(proposal.agent.id), name: agentLine(proposal.agent.name) },
    requestedBy: {
      id: agentLine(proposal.requestedBy.id),
      ...(proposal.requestedBy.name ? { name: agentLine(proposal.requestedBy.name) } : {}),
    },
    params: Object.keys(masked.params)
      .sort()
      .map((key) => paramField(agentLine(key, MAX.paramKey), masked.params[key], agent)),
    agentWritten: agentFields(masked.evidence, agent, agentLine),
    ...(state.deadline ? { deadline: state.deadline } : {}),
    paramsHash: state.paramsHash,
    reviewer: { id: claims.sub, role: claims.role, ...(me ? { name: oneLine(me.reviewer.name, MAX.line) } : {}) },
    decisions: currentRoundDecisions(state).map((d) => ({
      reviewerId: d.reviewerId,
      role: d.role,
      kind: d.kind,
      decidedAt: d.decidedAt,
      // Reviewers' comments are people's text, not the agent's, but still untrusted input.
      ...(d.comment ? { comment: cleanText(d.comment, MAX.comment) } : {}),
    })),
    standing,
    ...editsOf(state, agent),
    ...driftOf(state, agentLine),
    ...(standing.open && standing.approve ? { editor: paramsEditor(state) } : {}),
    ...(standing.open
      ? { delegateCandidates: delegateCandidates(state, { id: claims.sub, role: claims.role }).map((r) => ({ id: r.id, name: oneLine(r.name, MAX.line) })) }
      : {}),
  };
}

function editsOf(state: ApprovalState, agent: (text: string, max?: number) => string): Pick<DecisionEvidence, 'edits'> {
  if (!state.originalParams) return {};
  const { differences, truncated } = diffParams(state.originalParams, state.proposal.params, redactedParamPaths(state), MAX.diffRows);
  if (differences.length === 0) return {};
  const show = (value: unknown, redacted: boolean): string => {
    if (value === undefined) return '(not set)';
    if (redacted) return REDACTED;
    return agent(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value), MAX.diffValue);
  };
  // The agent's own revisions also change the params; only reviewers' edits are named.
  const editedBy = state.decisions
    .filter((d) => d.kind === DecisionKind.approveWithEdits)
    .map((d) => ({ reviewerId: d.reviewerId, role: d.role, round: d.round }));
  return {
    edits: {
      editedBy,
      changes: differences.map((d) => ({
        field: oneLine(d.path.join('.') || '(all parameters)', MAX.paramKey),
        agent: show(d.before, d.redacted),
        current: show(d.after, d.redacted),
      })),
      truncated,
    },
  };
}

function driftOf(state: ApprovalState, agentLine: (text: string, max?: number) => string): Pick<DecisionEvidence, 'preconditionDrift'> {
  const drift = state.preconditionDrift ?? [];
  if (drift.length === 0) return {};
  const redact = new Set(state.evaluation?.redact ?? []);
  const show = (field: string, value: unknown): string => {
    if (redact.has(`evidence.preconditions.${field}`) || redact.has('evidence.preconditions') || redact.has('evidence')) return REDACTED;
    if (value === undefined) return '(not set)';
    return agentLine(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value));
  };
  return {
    preconditionDrift: drift.slice(0, 50).map((d) => ({
      field: agentLine(d.field, MAX.paramKey),
      expected: show(d.field, d.expected),
      actual: show(d.field, d.actual),
    })),
  };
}

function paramField(label: string, value: unknown, agent: (text: string, max?: number) => string): EvidenceField {
  if (typeof value === 'string') return { label, value: agent(value, MAX.paramValue), multiline: value.includes('\n') };
  const json = JSON.stringify(value, null, 2) ?? String(value);
  return { label, value: agent(json, MAX.paramValue), multiline: json.includes('\n'), code: true };
}

function agentFields(
  evidence: ApprovalState['proposal']['evidence'],
  agent: (text: string, max?: number) => string,
  agentLine: (text: string, max?: number) => string,
): EvidenceField[] {
  const fields: EvidenceField[] = [];
  const add = (label: string, text: unknown, max: number = MAX.text, code = false) => {
    if (typeof text === 'string' && text.trim() !== '') fields.push({ label, value: agent(text, max), multiline: true, ...(code ? { code } : {}) });
  };
  add('Rationale', evidence.rationale);
  if (evidence.sources && evidence.sources.length > 0) {
    // Shown as text, never as links: the agent chose these addresses.
    const lines = evidence.sources
      .slice(0, MAX.sources)
      .map((s) => `- ${agentLine(s.title)}${s.url ? ` — ${agentLine(s.url, MAX.url)}` : ''}`);
    fields.push({ label: 'Sources', value: lines.join('\n'), multiline: true });
  }
  if (typeof evidence.confidence === 'number' && Number.isFinite(evidence.confidence)) {
    fields.push({ label: 'Confidence (agent’s own estimate)', value: `${Math.round(evidence.confidence * 100)} %`, multiline: false });
  }
  if (evidence.piiDetected) {
    fields.push({ label: 'Personal data', value: 'The agent reports personal data in this proposal.', multiline: false });
  }
  if (evidence.preconditions && Object.keys(evidence.preconditions).length > 0) {
    add('Preconditions', JSON.stringify(evidence.preconditions, null, 2), MAX.text, true);
  }
  add('Preview', evidence.preview, MAX.preview, true);
  add('Diff', evidence.diff, MAX.preview, true);
  add('Rollback plan', evidence.rollbackPlan);
  add('Risk notes', evidence.riskNotes);
  return fields;
}
