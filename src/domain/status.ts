import { z } from 'zod';

/** Every state a run can be in; the names are what operators search for in the Web UI. */
export const Status = {
  proposed: 'proposed',
  evaluating: 'evaluating',
  denied: 'denied',
  autoApproved: 'auto_approved',
  awaitingApproval: 'awaiting_approval',
  changesRequested: 'changes_requested',
  approved: 'approved',
  rejected: 'rejected',
  expired: 'expired',
  withdrawn: 'withdrawn',
  committing: 'committing',
  verifying: 'verifying',
  succeeded: 'succeeded',
  failed: 'failed',
  rolledBack: 'rolled_back',
  needsAttention: 'needs_attention',
} as const;
export type Status = (typeof Status)[keyof typeof Status];
export const StatusSchema = z.enum(Status);

/** States after which no reviewer decision can change the outcome any more. */
export const TERMINAL_STATUSES: readonly Status[] = [
  Status.denied,
  Status.rejected,
  Status.expired,
  Status.withdrawn,
  Status.succeeded,
  Status.failed,
  Status.rolledBack,
  Status.needsAttention,
];

export function isTerminal(status: Status): boolean {
  return TERMINAL_STATUSES.includes(status);
}
