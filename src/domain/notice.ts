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
  /** Tells the run's operators that a notice could not be delivered to someone. */
  undeliverable: 'undeliverable',
  /** A fresh link the reviewer asked for (their earlier one expired or was superseded). */
  freshLink: 'fresh_link',
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
  /**
   * Tells apart several notices of one purpose for the same person in one round (their mails
   * need distinct Message-IDs); absent for the purposes sent at most once per round.
   */
  seq?: number;
}

/** Someone a notice could not be delivered to, and why (the mail server's answer, in short). */
export interface UndeliverableRecipient {
  reviewerId: string;
  reason: string;
}
