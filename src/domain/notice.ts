/**
 * The wire type of a notice: what the workflow asks the notify activity to mail, and to whom.
 * Defined here, beside the other domain types, so the workflow and the activity both depend on it
 * instead of on each other.
 */
import type { Reviewer } from './policy';

export const NoticePurpose = {
  reviewRequested: 'review_requested',
  reminder: 'reminder',
  escalated: 'escalated',
  delegated: 'delegated',
  outcome: 'outcome',
  needsAttention: 'needs_attention',
} as const;
export type NoticePurpose = (typeof NoticePurpose)[keyof typeof NoticePurpose];

export interface Recipient {
  reviewer: Pick<Reviewer, 'id' | 'name' | 'email'>;
  /** The role the recipient decides in; absent for people who are only informed. */
  role?: string;
}

export interface Notice {
  purpose: NoticePurpose;
  recipients: Recipient[];
  note?: string;
}
