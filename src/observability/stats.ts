/**
 * The numbers a risk owner needs to graduate an action type from supervised to sampled or
 * exception-only: median time to approval, rejection rates (by action type and by the policy
 * trigger that sent a run to review), and the share that ran without a human.
 */
import type { ApprovalState } from '../domain/state';

export interface ActionTypeStats {
  actionType: string;
  runs: number;
  medianTimeToApprovalMs: number | null;
  approved: number;
  rejected: number;
  rejectionRate: number | null;
  autoApproved: number;
  autoApprovedShare: number;
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

/** From the first request for review to the approval that settled it; null if never approved by a human. */
export function timeToApprovalMs(state: ApprovalState): number | null {
  const asked = state.transitions.find((t) => t.to === 'awaiting_approval');
  const approved = state.transitions.find((t) => t.to === 'approved');
  if (!asked || !approved || state.decisions.length === 0) return null;
  return Date.parse(approved.at) - Date.parse(asked.at);
}

const wasApproved = (s: ApprovalState) => s.transitions.some((t) => t.to === 'approved') && s.decisions.length > 0;
const wasRejected = (s: ApprovalState) => s.status === 'rejected';
const wasAuto = (s: ApprovalState) => s.transitions.some((t) => t.to === 'auto_approved');
const rate = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

export function computeStats(states: ApprovalState[]): Stats {
  const byType = new Map<string, ApprovalState[]>();
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
      };
    });

  const byTriggerMap = new Map<string, ApprovalState[]>();
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
