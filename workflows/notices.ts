/**
 * Mail the workflow owes people. Handlers cannot await activities without racing the main loop,
 * so they queue notices in the outbox.
 *
 * Runs recorded before the 'background-notify' patch send them when the story's steps flush the
 * outbox, and wait for each: a mail server that is down holds the round's SLA clock. Newer runs
 * send in the background: pushing a notice starts one sender coroutine (if none runs) that mails
 * the queue in order, while the round's timers run on; only the end of the run waits for it, so
 * no notify activity is left behind. Either way the sender only applies events through the run.
 */
import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { SignedDecision } from '../src/domain/decision';
import { FailureType } from '../src/domain/errors';
import { NoticePurpose, type Notice, type Recipient, type UndeliverableRecipient } from '../src/domain/notice';
import type { Reviewer } from '../src/domain/policy';
import { currentRoundDecisions, eligibleReviewers, latestEscalationReviewers } from '../src/domain/standing';
import type { ApprovalState } from '../src/domain/state';
import type { RunEventType } from '../src/domain/run-event';
import type { SlackCardRecord } from '../src/domain/state';
import { Status } from '../src/domain/status';
import { notify, updateSlackCards } from './activity-proxies';
import { countNotifyFailures } from './metrics';
import type { Run } from './run-context';

/** Reviewers of this round who have not decided yet (and so still need the mail). */
export function undecidedReviewers(state: ApprovalState): Recipient[] {
  const decided = new Set(currentRoundDecisions(state).map((d) => d.reviewerId));
  return eligibleReviewers(state).filter((e) => !decided.has(e.reviewer.id));
}

function withRoles(state: ApprovalState, people: Reviewer[]): Recipient[] {
  return eligibleReviewers(state).filter((e) => people.some((p) => p.id === e.reviewer.id));
}

export interface Outbox {
  /** Queues a notice; in background mode, also starts sending it. */
  push(notice: Notice): void;
  /** Notices queued and not yet being sent. */
  readonly size: number;
  /**
   * Background mode: the notices not known to be delivered (the one being sent, then the queue),
   * for a run that continues as new to send again (the mailer skips a Message-ID already sent).
   */
  unsent(): NotifyInput[];
  /** Sends notices a previous run of this workflow left unsent (background mode). */
  resend(inputs: NotifyInput[]): void;
  /**
   * Sends every queued notice (for the state as it is now, in the old mode; as it was when each
   * was pushed, in background mode) and returns once none is left.
   */
  flush(state: ApprovalState): Promise<void>;
  /** Escalation, delegation and newly opened sequential steps mail the people they bring in. */
  queueDecisionNotices(before: ApprovalState, after: ApprovalState, signed: SignedDecision): void;
  queueEscalation(state: ApprovalState, note: string): void;
  /**
   * Queues an update of every Slack card of the run to `state` (background mode only; older runs
   * never posted cards). A queued update not yet sent is replaced: the latest state says it all.
   */
  updateCards(state: ApprovalState): void;
}

/** Events after which the run's Slack cards are edited to say what happened. */
export const CARD_UPDATE_EVENTS: ReadonlySet<RunEventType> = new Set<RunEventType>([
  'decision_recorded',
  'approved_with_edits',
  'revised',
  'denied',
  'expired',
  'withdrawn',
  'cancelled',
  'drifted',
  'preconditions_failed',
  'commit_refused',
  'commit_recorded',
  'commit_failed',
  'verified',
  'verification_unavailable',
  'rolled_back',
  'rollback_failed',
  'earlier_attempt_in_doubt',
]);

export interface OutboxOptions {
  /** Started after the 'background-notify' patch: sending never holds up the run's steps. */
  background: boolean;
  /** The run's state now (background mode takes each notice's snapshot when it is pushed). */
  state(): ApprovalState;
  /** A notice the mail server refused for good for `recipients`. */
  undeliverable(notice: Notice, round: number, recipients: UndeliverableRecipient[]): void;
  /** The notify activity posted these Slack cards. */
  cardsPosted(cards: SlackCardRecord[]): void;
}

/** What the background sender sends: a notice, or the run's state for its Slack cards. */
type Outgoing = { notice: NotifyInput } | { cards: ApprovalState };

export type NotifyInput = Parameters<typeof notify>[0];

/** What a notice is sent with: the run as it is (or was) at `state`. */
function notifyInput(notice: Notice, state: ApprovalState): NotifyInput | undefined {
  if (notice.recipients.length === 0 || !state.evaluation) return undefined;
  return {
    ...notice,
    workflowId: state.workflowId,
    round: state.round,
    proposal: state.proposal,
    evaluation: state.evaluation,
    paramsHash: state.paramsHash,
    deadline: state.deadline,
    outcome: { status: state.status, reason: state.outcomeReason },
    auditState: auditStateOf(state),
  };
}

/**
 * The state the notify activity appends the run's audit entries from: the proposal travels in the
 * notice already, and the signed decisions (with any edited params) are not part of the record.
 * Activity inputs are not replayed, so this needs no patch.
 */
function auditStateOf(state: ApprovalState): NonNullable<NotifyInput['auditState']> {
  const { proposal: _proposal, ...rest } = state;
  return { ...rest, decisions: state.decisions.map(({ signed: _signed, ...d }) => d) };
}

export function createOutbox(options: OutboxOptions): Outbox {
  /** Old mode: notices, rendered at flush. Background mode: inputs, fixed at push. */
  const queue: Notice[] = [];
  const ready: Outgoing[] = [];
  let sending = false;
  let inFlight: Outgoing | undefined;
  let sent: Promise<void> = Promise.resolve();

  /** Sends one notice; a permanent refusal is recorded, never thrown. */
  async function send(input: NotifyInput): Promise<void> {
    try {
      const result = await notify(input);
      if (result.cards && result.cards.length > 0) {
        options.cardsPosted(result.cards);
        // A click (or expiry) can land while the cards are still being posted: they must catch up.
        const now = options.state();
        if (now.status !== Status.awaitingApproval || currentRoundDecisions(now).length > 0) outbox.updateCards(now);
      }
    } catch (err) {
      if (isCancellation(err)) throw err;
      options.undeliverable(input, input.round, refusedRecipients(err, input));
    }
  }

  /** Edits the run's Slack cards; a card left stale is not worth failing the run for. */
  async function sendCards(state: ApprovalState): Promise<void> {
    try {
      await updateSlackCards({ state });
    } catch (err) {
      if (isCancellation(err)) throw err;
    }
  }

  function start(): void {
    if (!sending) {
      sending = true;
      sent = sendAll();
    }
  }

  /** The sender coroutine: runs while there is something to send, in push order. */
  async function sendAll(): Promise<void> {
    try {
      while (ready.length > 0) {
        inFlight = ready.shift()!;
        await ('notice' in inFlight ? send(inFlight.notice) : sendCards(inFlight.cards));
        inFlight = undefined;
      }
    } catch {
      // Cancelled with the run: what is left is not sent.
    } finally {
      // Set in the same step the loop ends, so a push right after starts a new sender.
      sending = false;
    }
  }

  function enqueue(input: NotifyInput): void {
    ready.push({ notice: input });
    start();
  }

  const outbox: Outbox = {
    push(notice) {
      if (!options.background) return void queue.push(notice);
      const input = notifyInput(notice, options.state());
      if (input) enqueue(input);
    },
    updateCards(state) {
      if (!options.background || !state.slackCards || state.slackCards.length === 0) return;
      const queued = ready.findIndex((o) => 'cards' in o);
      if (queued >= 0) ready.splice(queued, 1);
      ready.push({ cards: state });
      start();
    },
    // Card edits are not handed over: the next run edits the cards at its own next change.
    unsent: () => [...(inFlight ? [inFlight] : []), ...ready].flatMap((o) => ('notice' in o ? [o.notice] : [])),
    resend: (inputs) => inputs.forEach(enqueue),
    get size() {
      return options.background ? ready.length : queue.length;
    },
    async flush(state) {
      if (options.background) {
        while (sending) await sent;
        return;
      }
      while (queue.length > 0) {
        const input = notifyInput(queue.shift()!, state);
        if (input) await send(input);
      }
    },
    queueEscalation(state, note) {
      outbox.push({ purpose: NoticePurpose.escalated, recipients: withRoles(state, latestEscalationReviewers(state)), note });
    },
    queueDecisionNotices(before, after, signed) {
      const d = signed.payload;
      if (after.round !== before.round) return; // a new round mails its own reviewers
      if (d.kind === 'escalate' && after.escalationLevel > before.escalationLevel) {
        outbox.queueEscalation(after, `escalated by ${d.reviewer.id}`);
      }
      if (d.kind === 'delegate') {
        const delegate = after.delegates[after.delegates.length - 1];
        if (delegate)
          outbox.push({
            purpose: NoticePurpose.delegated,
            recipients: [{ reviewer: delegate.reviewer, role: delegate.role }],
            note: `delegated by ${d.reviewer.id}`,
          });
      }
      const known = new Set(eligibleReviewers(before).map((e) => `${e.reviewer.id}/${e.role}`));
      const opened = eligibleReviewers(after).filter((e) => !known.has(`${e.reviewer.id}/${e.role}`) && e.role !== d.reviewer.role);
      if (d.kind === 'approve' && opened.length > 0) {
        outbox.push({ purpose: NoticePurpose.reviewRequested, recipients: opened });
      }
    },
  };
  return outbox;
}

/** Who a failed notify attempt was refused for: those it names, or (any other failure) everyone. */
function refusedRecipients(err: unknown, input: NotifyInput): UndeliverableRecipient[] {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.type === FailureType.notificationUndeliverable) {
    const named = cause.details?.[0];
    if (Array.isArray(named) && named.length > 0) return named as UndeliverableRecipient[];
  }
  const reason = (cause ?? (err as Error)).message ?? String(err);
  return input.recipients.map((r) => ({ reviewerId: r.reviewer.id, reason }));
}

/**
 * Records a refused notice on the run, counts it, and tells the run's operators (best effort:
 * a refused mail to them is recorded too, and not reported again).
 */
export function recordUndeliverable(run: Run, notice: Notice, round: number, recipients: UndeliverableRecipient[]): void {
  run.apply({ type: 'notice_undeliverable', purpose: notice.purpose, round, recipients });
  countNotifyFailures(run.get(), notice.purpose, recipients.length);
  if (notice.purpose === NoticePurpose.undeliverable) return;
  const operators = run.get().evaluation?.operators ?? [];
  const note = `The ${notice.purpose.replace(/_/g, ' ')} mail of round ${round} was refused for ${recipients.map((r) => `${r.reviewerId} (${r.reason})`).join(', ')}.`;
  run.outbox.push({
    purpose: NoticePurpose.undeliverable,
    recipients: operators.map((reviewer) => ({ reviewer })),
    note,
    seq: run.get().undeliverable?.length ?? 0,
  });
}
