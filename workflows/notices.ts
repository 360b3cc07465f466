/**
 * Mail the workflow owes people. Handlers cannot await activities without racing the main loop,
 * so they queue notices here and the review loop sends them.
 */
import type { Reviewer } from '../src/domain/policy';

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
