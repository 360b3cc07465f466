/**
 * Everything that can happen to an approval run, as typed events. The workflow changes its state
 * only by applying one of these to the pure reducer (workflows/approval-state.ts), and each
 * transition it records names the event that caused it, so metrics, the audit trail and stats
 * read what happened from the event type, never from the wording of a note.
 */
import { z } from 'zod';
import type { MessageSigner } from './agent-auth';
import type { DecisionPayload, Revision, SignedDecision } from './decision';
import type { PolicyEvaluation } from './evaluation';
import type { NoticePurpose, UndeliverableRecipient } from './notice';

export const RunEventType = {
  evaluationStarted: 'evaluation_started',
  evaluated: 'evaluated',
  denied: 'denied',
  autoApproved: 'auto_approved',
  roundOpened: 'round_opened',
  decisionRecorded: 'decision_recorded',
  approvedWithEdits: 'approved_with_edits',
  revised: 'revised',
  escalated: 'escalated',
  reminded: 'reminded',
  expired: 'expired',
  withdrawn: 'withdrawn',
  drifted: 'drifted',
  preconditionsFailed: 'preconditions_failed',
  commitStarted: 'commit_started',
  commitRefused: 'commit_refused',
  commitRecorded: 'commit_recorded',
  commitFailed: 'commit_failed',
  verified: 'verified',
  verificationUnavailable: 'verification_unavailable',
  rolledBack: 'rolled_back',
  rollbackFailed: 'rollback_failed',
  noticeUndeliverable: 'notice_undeliverable',
  slackCardsPosted: 'slack_cards_posted',
  cancelled: 'cancelled',
  freshLinkSent: 'fresh_link_sent',
  webhookUndeliverable: 'webhook_undeliverable',
  earlierAttemptInDoubt: 'earlier_attempt_in_doubt',
} as const;
export type RunEventType = (typeof RunEventType)[keyof typeof RunEventType];
export const RunEventTypeSchema = z.enum(RunEventType);

export interface Drift {
  field: string;
  expected: unknown;
  actual: unknown;
}

/** Who signed a withdrawal or revision (the proposing agent or an operator), and with which key. */
export interface SignedBy {
  signer: MessageSigner;
  keyId: string;
}

/** `at` is workflow time (ISO): the reducer never reads a clock. */
export type RunEvent =
  | { type: 'evaluation_started'; at: string }
  | { type: 'evaluated'; at: string; evaluation: PolicyEvaluation }
  | { type: 'denied'; at: string; reason: string }
  | { type: 'auto_approved'; at: string; reason: string }
  /** A review round starts waiting: its SLA clock runs until `deadline`. */
  | { type: 'round_opened'; at: string; deadline: string }
  | { type: 'decision_recorded'; at: string; decision: DecisionPayload; signature?: SignedDecision['signature'] }
  /** An approval with edits, after the edited version was re-evaluated. */
  | {
      type: 'approved_with_edits';
      at: string;
      decision: DecisionPayload;
      signature?: SignedDecision['signature'];
      evaluation: PolicyEvaluation;
    }
  | {
      type: 'revised';
      at: string;
      revision: Pick<Revision, 'by' | 'params' | 'summary'>;
      evaluation: PolicyEvaluation;
      signedBy?: SignedBy;
    }
  /** The SLA's escalation step (a reviewer's escalation is a decision). */
  | { type: 'escalated'; at: string; reason: string }
  | { type: 'reminded'; at: string }
  | { type: 'expired'; at: string }
  | { type: 'withdrawn'; at: string; by: string; reason?: string | undefined; signedBy?: SignedBy }
  /** The target moved after the approval: a new round on the world as it is now. */
  | { type: 'drifted'; at: string; drift: Drift[] }
  | { type: 'preconditions_failed'; at: string; fields: string[] }
  | { type: 'commit_started'; at: string; idempotencyKey: string; executedHash: string }
  /** The signed approvals do not cover what would be executed: nothing runs. */
  | { type: 'commit_refused'; at: string; reason: string }
  | { type: 'commit_recorded'; at: string; result: Record<string, unknown> }
  | { type: 'commit_failed'; at: string; message: string }
  | { type: 'verified'; at: string; verification: { ok: boolean; observed: unknown } }
  | { type: 'verification_unavailable'; at: string; message: string }
  | { type: 'rolled_back'; at: string; rollback: Record<string, unknown> }
  /** Verification failed and the effect could not be undone (no rollback, or it failed). */
  | { type: 'rollback_failed'; at: string; reason: string }
  /** The mail server refused a notice for good for these people; the run goes on by its clock. */
  | { type: 'notice_undeliverable'; at: string; purpose: NoticePurpose; round: number; recipients: UndeliverableRecipient[] }
  /** The notify activity posted these Slack cards; later changes of the run edit them. */
  | {
      type: 'slack_cards_posted';
      at: string;
      cards: { round: number; reviewerId: string; role: string; channel: string; ts: string }[];
    }
  /**
   * An operator cancelled the run (Web UI, CLI, `handle.cancel()`). Before the commit it ends the
   * run as withdrawn; during the commit it is only noted: the commit finishes and is verified.
   */
  | { type: 'cancelled'; at: string }
  /** A reviewer asked for a fresh link and one was mailed to their address on file. */
  | { type: 'fresh_link_sent'; at: string; reviewerId: string; role: string }
  /**
   * The outcome webhook failed for good (refused, not allowed, no key, retries exhausted). The
   * outcome stands; the event tells whoever reads the run that its agent service was not told.
   */
  | { type: 'webhook_undeliverable'; at: string; reason: string }
  /**
   * The run's first workflow task ran more than once, an earlier attempt may have committed the
   * action as an auto-approved local step, and the policy now says otherwise: nothing more runs.
   */
  | { type: 'earlier_attempt_in_doubt'; at: string; idempotencyKey: string; why: string };

/** Thrown when an event would move a run along a transition the state machine does not have. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly from: string,
    readonly to: string,
    readonly event: RunEventType,
  ) {
    super(`illegal transition ${from} → ${to} (${event})`);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event before the workflow stamps it with its own time. */
export type UnstampedRunEvent = DistributiveOmit<RunEvent, 'at'>;

/** Stamps an event with the workflow's time of applying it. */
export function stamped(event: UnstampedRunEvent, at: string): RunEvent {
  return { ...event, at };
}
