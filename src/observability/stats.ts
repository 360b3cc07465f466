/**
 * The numbers a risk owner needs to graduate an action type from supervised to sampled or
 * exception-only: median time to approval, rejection rates (by action type and by the policy
 * trigger that sent a run to review), and the share that ran without a human.
 *
 * Only a reviewer's approving decision counts as a human approval: a run the policy let through
 * on expiry ("nobody objected in time") is counted apart, with the runs that expired, never as
 * approved. Which it was is read from the event that made the transition, not from its wording.
 */
import { RunEventType } from '../domain/run-event';

/**
 * What the tables need of a run: its live state from Temporal satisfies it, and so does a run
 * rebuilt from the audit log (src/audit/log-runs.ts), whose status may also be `terminated`.
 */
export interface StatsRun {
  proposal: { actionType: string };
  status: string;
  transitions: ReadonlyArray<{ at: string; to: string; note?: string | undefined; event?: string | undefined }>;
  decisions: ReadonlyArray<{ kind: string }>;
  evaluation?: { triggersFired: ReadonlyArray<{ id: string }> } | undefined;
}
type StatsTransition = StatsRun['transitions'][number];

export interface ActionTypeStats {
  actionType: string;
  runs: number;
  medianTimeToApprovalMs: number | null;
  approved: number;
  rejected: number;
  rejectionRate: number | null;
  autoApproved: number;
  autoApprovedShare: number;
  /** Approved by the policy's default outcome when the round expired without a decision. */
  approvedOnExpiry: number;
  /** Ended as expired (the default outcome deny, or an objection the default does not override). */
  expired: number;
  /** Terminated or timed out outside the workflow (recorded by the audit sweep). */
  terminated: number;
}

export interface TriggerStats {
  trigger: string;
  runs: number;
  rejected: number;
  rejectionRate: number | null;
}

export interface Stats {
  byActionType: ActionTypeStats[];
  byTrigger: TriggerStats[];
  overall: { runs: number; autoApproved: number; autoApprovedShare: number };
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Events by which reviewers' decisions approve a round. */
const HUMAN_APPROVALS: ReadonlySet<string> = new Set([RunEventType.decisionRecorded, RunEventType.approvedWithEdits]);

/** The transition that last approved the run, if one did. */
const lastApproval = (s: StatsRun): StatsTransition | undefined => [...s.transitions].reverse().find((t) => t.to === 'approved');

/**
 * Whether reviewers approved it. States recorded before transitions named their event say so only
 * in the note and the decisions: an expiry's note starts with "expired", and someone approved.
 */
function approvedByHuman(s: StatsRun): StatsTransition | undefined {
  const approval = lastApproval(s);
  if (!approval) return undefined;
  if (approval.event !== undefined) return HUMAN_APPROVALS.has(approval.event) ? approval : undefined;
  const approving = s.decisions.some((d) => d.kind === 'approve' || d.kind === 'approve_with_edits');
  return approving && !approval.note?.startsWith('expired') ? approval : undefined;
}

function approvedOnExpiry(s: StatsRun): boolean {
  const approval = lastApproval(s);
  if (!approval) return false;
  return approval.event !== undefined ? approval.event === RunEventType.expired : approval.note?.startsWith('expired') === true;
}

/** From the first request for review to the human approval that settled it; null if no human approved. */
export function timeToApprovalMs(state: StatsRun): number | null {
  const asked = state.transitions.find((t) => t.to === 'awaiting_approval');
  const approved = approvedByHuman(state);
  if (!asked || !approved) return null;
  return Date.parse(approved.at) - Date.parse(asked.at);
}

const wasApproved = (s: StatsRun) => approvedByHuman(s) !== undefined;
const wasExpired = (s: StatsRun) => s.status === 'expired';
const wasRejected = (s: StatsRun) => s.status === 'rejected';
const wasAuto = (s: StatsRun) => s.transitions.some((t) => t.to === 'auto_approved');
const rate = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

export function computeStats(states: StatsRun[]): Stats {
  const byType = new Map<string, StatsRun[]>();
  for (const s of states) byType.set(s.proposal.actionType, [...(byType.get(s.proposal.actionType) ?? []), s]);
  const byActionType = [...byType]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([actionType, runs]) => {
      const approved = runs.filter(wasApproved).length;
      const rejected = runs.filter(wasRejected).length;
      const autoApproved = runs.filter(wasAuto).length;
      return {
        actionType,
        runs: runs.length,
        medianTimeToApprovalMs: median(runs.map(timeToApprovalMs).filter((v): v is number => v !== null)),
        approved,
        rejected,
        rejectionRate: rate(rejected, approved + rejected),
        autoApproved,
        autoApprovedShare: autoApproved / runs.length,
        approvedOnExpiry: runs.filter(approvedOnExpiry).length,
        expired: runs.filter(wasExpired).length,
        terminated: runs.filter((s) => s.status === 'terminated').length,
      };
    });

  const byTriggerMap = new Map<string, StatsRun[]>();
  for (const s of states) {
    for (const t of s.evaluation?.triggersFired ?? []) byTriggerMap.set(t.id, [...(byTriggerMap.get(t.id) ?? []), s]);
  }
  const byTrigger = [...byTriggerMap]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([trigger, runs]) => {
      const rejected = runs.filter(wasRejected).length;
      return { trigger, runs: runs.length, rejected, rejectionRate: rate(rejected, runs.filter(wasApproved).length + rejected) };
    });

  const autoApproved = states.filter(wasAuto).length;
  return {
    byActionType,
    byTrigger,
    overall: { runs: states.length, autoApproved, autoApprovedShare: states.length ? autoApproved / states.length : 0 },
  };
}
