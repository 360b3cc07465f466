/**
 * The audit record of one run, built from the workflow's state (the workflow is the source of
 * every entry): who proposed what, which policy version decided, who decided what and when, the
 * approved version and its difference from the proposal, what was executed and what verification
 * saw. Fields the policy marks for redaction never appear in clear: masked where they sit, and
 * wherever their values are repeated in free text (the summary, the evidence, a comment, a note),
 * split or disguised, by the same scrubber the mail and the decision page use.
 */
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../domain/canonical-hash';
import type { ApprovalState } from '../domain/state';
import { redactPaths, scrubberFor, scrubStrings, type Scrubber } from '../evidence/redaction';

export const AuditEntrySchema = z.object({
  /** Stable per fact, so writing the same run twice adds nothing. */
  entryId: z.string(),
  workflowId: z.string(),
  at: z.string(),
  kind: z.enum(['proposed', 'evaluated', 'transition', 'decision', 'execution', 'terminated']),
  data: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export interface ParamChange {
  path: string;
  before: unknown;
  after: unknown;
}

/** Field-by-field difference between two params versions (top level and one level down). */
export function diffParams(before: Record<string, unknown>, after: Record<string, unknown>): ParamChange[] {
  const changes: ParamChange[] = [];
  const walk = (a: unknown, b: unknown, path: string, depth: number) => {
    if (canonicalJson(a ?? null) === canonicalJson(b ?? null)) return;
    const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (depth < 2 && isObject(a) && isObject(b)) {
      for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
        walk(a[key], b[key], path ? `${path}.${key}` : key, depth + 1);
      return;
    }
    changes.push({ path, before: a, after: b });
  };
  walk(before, after, '', 0);
  return changes.map((c) => ({ ...c, path: `params.${c.path}` }));
}

export interface AuditRecord {
  workflowId: string;
  proposalHash: string;
  policyVersion: string | undefined;
  status: string;
  proposal: ApprovalState['proposal'];
  approvedParamsHash: string;
  approvedParams: Record<string, unknown>;
  changesFromProposal: ParamChange[];
  entries: AuditEntry[];
}

/**
 * Redacts what the policy says to, in params and evidence alike, then masks the redacted values
 * wherever else a string repeats them.
 */
function redactor(state: ApprovalState, scrub: Scrubber = scrubberFor(state)): <T>(value: T) => T {
  const paths = state.evaluation?.redact ?? [];
  return <T>(value: T): T => scrubStrings(redactPaths(value, paths), scrub);
}

/**
 * The entry fields written by the agent, a reviewer or a target, where a redacted value may be
 * repeated. Ids, hashes and statuses are Gatehouse's own facts and stay as they are (a hash that
 * happens to contain a four-digit redacted PIN must still verify).
 */
const FREE_TEXT = new Set([
  'agent',
  'summary',
  'params',
  'evidence',
  'reason',
  'note',
  'comment',
  'executedParams',
  'commit',
  'verification',
  'rollback',
  'error',
]);

export function auditEntries(state: ApprovalState): AuditEntry[] {
  const scrub = scrubberFor(state);
  return rawEntries(state, redactor(state, scrub)).map((entry) => ({
    ...entry,
    data: Object.fromEntries(
      Object.entries(entry.data).map(([key, value]) => [key, FREE_TEXT.has(key) ? scrubStrings(value, scrub) : value]),
    ),
  }));
}

function rawEntries(state: ApprovalState, redact: <T>(value: T) => T): AuditEntry[] {
  const wf = state.workflowId;
  const p = redact({ params: state.originalParams ?? state.proposal.params, evidence: state.proposal.evidence });
  const first = state.transitions[0]?.at ?? '';
  const entries: AuditEntry[] = [
    {
      entryId: `${wf}:proposed`,
      workflowId: wf,
      at: first,
      kind: 'proposed',
      data: {
        proposalId: state.proposal.id,
        actionType: state.proposal.actionType,
        agent: state.proposal.agent,
        // The requester is the authenticated agent's word, and marked as such.
        requestedBy: {
          id: state.proposal.requestedBy.id,
          ...(state.evaluation?.requesterAssertedBy
            ? { assertedBy: state.evaluation.requesterAssertedBy, agentKeyId: state.evaluation.agentKeyId ?? null }
            : {}),
        },
        summary: state.proposal.summary,
        params: p.params,
        evidence: p.evidence,
        proposalHash: sha256Hex(canonicalJson({ ...state.proposal, params: state.originalParams ?? state.proposal.params })),
      },
    },
  ];
  if (state.evaluation) {
    const e = state.evaluation;
    entries.push({
      entryId: `${wf}:evaluated`,
      workflowId: wf,
      at: state.transitions.find((t) => t.from === 'evaluating')?.at ?? first,
      kind: 'evaluated',
      data: {
        policyVersion: e.policyVersion,
        outcome: e.outcome,
        reason: e.reason,
        risk: e.risk,
        triggersFired: e.triggersFired,
        sampling: e.sampling ?? null,
        steps: e.steps.map((s) => ({ role: s.role, count: s.count, eligible: s.eligible.map((r) => r.id) })),
      },
    });
  }
  state.transitions.forEach((t, i) => {
    entries.push({
      entryId: `${wf}:t${i}`,
      workflowId: wf,
      at: t.at,
      kind: 'transition',
      data: { from: t.from, to: t.to, note: t.note ?? null },
    });
  });
  for (const d of state.decisions) {
    entries.push({
      entryId: `${wf}:d:${d.nonce}`,
      workflowId: wf,
      at: d.recordedAt,
      kind: 'decision',
      // Reviewers are identified by their stable subject id, never by email text.
      data: {
        round: d.round,
        reviewer: d.reviewerId,
        role: d.role,
        decision: d.kind,
        comment: d.comment ?? null,
        decidedAt: d.decidedAt,
        filledRole: d.filledRole ?? null,
        delegateTo: d.delegateTo ?? null,
      },
    });
  }
  if (state.execution) {
    const x = state.execution;
    entries.push({
      entryId: `${wf}:execution`,
      workflowId: wf,
      at: state.transitions.at(-1)?.at ?? first,
      kind: 'execution',
      data: {
        idempotencyKey: x.idempotencyKey,
        executedHash: x.executedHash,
        executedParams: redact({ params: state.proposal.params }).params,
        commit: x.commit ?? null,
        verification: x.verification ?? null,
        rollback: x.rollback ?? null,
        error: x.error ?? null,
      },
    });
  }
  return entries;
}

export function buildAuditRecord(state: ApprovalState): AuditRecord {
  const redact = redactor(state);
  const original = state.originalParams ?? state.proposal.params;
  return {
    workflowId: state.workflowId,
    proposalHash: String(auditEntries(state)[0]!.data['proposalHash']),
    policyVersion: state.evaluation?.policyVersion,
    status: state.status,
    proposal: { ...redact({ ...state.proposal, params: original }), id: state.proposal.id, actionType: state.proposal.actionType },
    approvedParamsHash: state.paramsHash,
    approvedParams: redact({ params: state.proposal.params }).params,
    changesFromProposal: diffParams(redact({ params: original }).params, redact({ params: state.proposal.params }).params),
    entries: auditEntries(state),
  };
}
