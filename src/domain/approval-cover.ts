/**
 * The commit's own check that the signed approvals it is given cover exactly what it is about to
 * execute: enough distinct, eligible people signed approvals of this params hash for this run.
 * It reads only the signatures, the policy re-evaluated for these params and the trusted keys,
 * never the workflow's account of who approved, so a wrong state cannot make it execute.
 */
import { paramsHash } from './canonical-hash';
import type { SignedDecision } from './decision';
import { checkCredential } from './credential';
import type { SignatureVerifier } from './decision-signature';
import type { PolicyEvaluation } from './evaluation';
import type { TrustedKeys } from './trusted-keys';

/** Why the run says it may execute. */
export const CommitBasis = { reviewed: 'reviewed', autoApproved: 'auto_approved', expiry: 'expiry' } as const;
export type CommitBasis = (typeof CommitBasis)[keyof typeof CommitBasis];

export interface CoverInput {
  workflowId: string;
  /** Hash of the params about to be executed, computed by the caller from those params. */
  executedHash: string;
  /** The policy evaluated again, by the caller, for exactly these params. */
  evaluation: PolicyEvaluation;
  proposer: { agentId: string; requesterId: string };
  basis: CommitBasis;
  approvals: readonly SignedDecision[];
  keys: TrustedKeys;
  /** How signatures are checked; the pure-JS check by default. */
  verify?: SignatureVerifier;
}

export type CoverCheck = { ok: true; approvers: string[] } | { ok: false; reason: string };

export function checkApprovalCover(input: CoverInput): CoverCheck {
  const { evaluation } = input;
  switch (evaluation.outcome) {
    case 'deny':
      return { ok: false, reason: `the policy denies this version: ${evaluation.reason}` };
    case 'auto_approve':
      return { ok: true, approvers: [] };
    case 'review':
      break;
    default: {
      const unreachable: never = evaluation.outcome;
      return { ok: false, reason: `unknown outcome ${String(unreachable)}` };
    }
  }
  // Silence approved by the policy's own written default: no signature can prove a silence.
  if (input.basis === CommitBasis.expiry && evaluation.onExpiry === 'approve') return { ok: true, approvers: [] };

  const byPerson = new Map<string, string>();
  for (const signed of input.approvals) {
    const role = validApproverRole(input, signed);
    if (role && !byPerson.has(signed.payload.reviewer.id)) byPerson.set(signed.payload.reviewer.id, role);
  }
  const roles = [...byPerson.values()];
  const escalationRoles = new Set(evaluation.escalation.map((e) => e.role));
  let spare = roles.filter((r) => escalationRoles.has(r) && !evaluation.steps.some((s) => s.role === r)).length;
  for (const step of evaluation.steps) {
    const have = roles.filter((r) => r === step.role).length;
    const missing = Math.max(0, step.count - have);
    if (missing > spare) {
      return {
        ok: false,
        reason: `the signed approvals of ${input.executedHash} do not fill the ${step.role} step (${have + spare} of ${step.count})`,
      };
    }
    spare -= missing;
  }
  return { ok: true, approvers: [...byPerson.keys()] };
}

/**
 * The hash of the version a signed decision approves: the params it saw, or its edit of them;
 * undefined for a decision that approves nothing. The commit's check and the workflow (which
 * hands the commit only the approvals it can count) read approvals the same way.
 */
export function approvedHashOf(signed: SignedDecision): string | undefined {
  const d = signed.payload;
  if (d.kind === 'approve') return d.paramsHash;
  return d.kind === 'approve_with_edits' && d.editedParams ? paramsHash(d.editedParams) : undefined;
}

/** The role a signed decision validly approves this version in, or undefined. */
function validApproverRole(input: CoverInput, signed: SignedDecision): string | undefined {
  const d = signed.payload;
  if (d.workflowId !== input.workflowId) return undefined;
  if (approvedHashOf(signed) !== input.executedHash) return undefined;
  if (d.reviewer.id === input.proposer.agentId || d.reviewer.id === input.proposer.requesterId) return undefined;
  if (!checkCredential(signed, input.keys, undefined, input.verify).ok) return undefined;
  const { evaluation } = input;
  const holders = [...evaluation.steps, ...evaluation.escalation].filter((s) => s.role === d.reviewer.role).flatMap((s) => s.eligible);
  return holders.some((p) => p.id === d.reviewer.id) ? d.reviewer.role : undefined;
}
