/**
 * The approval workflow: one proposed action, from policy to an executed and verified effect (or
 * a reasoned refusal). Every state change goes through the pure reducer in approval-state.ts.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  log,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import type { MessageKeys } from '../src/domain/agent-auth';
import { approvedHashOf } from '../src/domain/approval-cover';
import { idempotencyKeyFor } from '../src/domain/ids';
import { NoticePurpose } from '../src/domain/notice';
import type { Proposal } from '../src/domain/proposal';
import { outcomeOf } from '../src/domain/outcome';
import { stamped, type UnstampedRunEvent } from '../src/domain/run-event';
import type { ApprovalState } from '../src/domain/state';
import { Status } from '../src/domain/status';
import { NO_TRUSTED_KEYS, type TrustedKeys } from '../src/domain/trusted-keys';
import { deliverOutcome, stepActivities } from './activity-proxies';
import { apply, initialState } from './approval-state';
import { appendIfWaiting } from './audit-trail';
import { callOperators, executeApproved } from './execution';
import { watchFirstTask } from './first-task';
import { registerHandlers } from './handlers';
import { recordRunMetrics } from './metrics';
import { CARD_UPDATE_EVENTS, createOutbox, recordUndeliverable, type NotifyInput } from './notices';
import { inReview, runReview, type ReviewClock } from './review';
import { boundedResult } from './run-result';
import type { Run } from './run-context';
import { createStatePublisher } from './search-attributes';

export interface ApprovalInput {
  proposal: Proposal;
  /** Set when this run continues an earlier one of the same workflow id (its history grew long). */
  resume?: Resumed;
}

/** A notice handed to the continuation; hand-overs recorded before compaction carry it whole. */
export type CarriedNotice = Omit<NotifyInput, 'proposal' | 'auditState'> & { proposal?: NotifyInput['proposal'] };

/** What a run hands to its continuation: everything it knew, and where the round's clock stood. */
export interface Resumed {
  state: ApprovalState;
  trustedKeys: TrustedKeys;
  /** Absent in hand-overs from runs that started before agents signed their messages. */
  messageKeys?: MessageKeys | undefined;
  clock: ReviewClock;
  /**
   * Mail not known to be delivered; sent again (the mailer skips a Message-ID already sent).
   * Handed over without the proposal (the state's own is the notice's: stale notices are left
   * behind) and without the audit state (the new run appends it), so the hand-over stays small.
   */
  unsent: CarriedNotice[];
  /** The run appends audit entries as it goes (see EvaluatedProposal.auditAsItHappens). */
  auditAsItHappens?: boolean;
}

const nowIso = (): string => new Date().toISOString();

export async function approvalWorkflow(input: ApprovalInput): Promise<ApprovalState> {
  const { workflowId, continuedFromExecutionRunId } = workflowInfo();
  // A hand-over carries state and keys the previous run vouched for; anyone who can start a
  // workflow could otherwise start one with a made-up `resume` (a "succeeded" state with a result
  // nobody approved, keys of their choosing). Only Temporal sets where a run continued from.
  if (input.resume && !continuedFromExecutionRunId) {
    throw ApplicationFailure.nonRetryable('a run takes over a review only from its own continue-as-new', 'ForgedHandOver');
  }
  // Runs started before 'background-notify' waited for each mail before arming the round's
  // timers, so a mail server that was down held reminders, escalation and expiry; they replay
  // that way. Runs started before 'local-steps' also recorded regular activities for the
  // read-only steps and a search-attribute upsert on every status. A new run has both, and
  // records only the newest patch: each patch costs its run a marker and a search-attribute
  // upsert, and the later one implies the earlier.
  const background = patched('background-notify');
  const lean = background || patched('local-steps');
  const publish = createStatePublisher({ skipTransientStatuses: lean });
  let state = input.resume?.state ?? initialState(workflowId, input.proposal);
  // Filled from the worker's configuration by the policy activity; until then nothing is accepted.
  let trustedKeys: TrustedKeys = input.resume?.trustedKeys ?? NO_TRUSTED_KEYS;
  // Keys that may sign a withdrawal or revision: the proposing agent's and the operators'.
  let messageKeys: MessageKeys | undefined = input.resume?.messageKeys;
  let auditAsItHappens = input.resume?.auditAsItHappens === true;
  const run: Run = {
    workflowId,
    get: () => state,
    apply: (event: UnstampedRunEvent) => {
      state = apply(state, stamped(event, nowIso()));
      publish(state);
      // One truth across channels: every Slack card of the run says what just happened.
      if (CARD_UPDATE_EVENTS.has(event.type)) run.outbox.updateCards(state);
      appendIfWaiting(run, event, state);
      return state;
    },
    outbox: createOutbox({
      background,
      state: () => state,
      undeliverable: (notice, round, recipients) => recordUndeliverable(run, notice, round, recipients),
      cardsPosted: (cards) => run.apply({ type: 'slack_cards_posted', cards }),
    }),
    lean,
    background,
    auditAsItHappens: () => auditAsItHappens,
    steps: stepActivities(lean),
    commitInTask: false,
    firstTask: watchFirstTask(),
    mayHaveCommitted: false,
    cancelHeld: false,
    showResting: () => publish(state, true),
    continueAsNew: (clock) => handOver(run, input.proposal, () => ({ trustedKeys, messageKeys, auditAsItHappens }), clock),
    handingOver: false,
  };
  registerHandlers(
    run,
    () => trustedKeys,
    () => messageKeys,
    // A refresh replaces what the run holds, so a continuation carries the refreshed keys.
    (keys, keysForMessages) => {
      trustedKeys = keys;
      messageKeys = keysForMessages;
    },
  );
  // An operator's cancel is applied as an event when it arrives: it withdraws a run that executed
  // nothing (every wait ends on the new status) and is only noted once the commit started. The
  // story itself runs out of the cancel's reach, in one scope made here rather than around each
  // commit and finish: a scope costs the SDK promises and stack captures on every decision.
  CancellationScope.current().cancelRequested.catch(() => {
    run.firstTask.noteEvent();
    // In a retried first task the cancel waits for the policy step: an earlier attempt may have
    // committed, and then the run is not withdrawn but left to a person (see decideAndExecute).
    if (!input.resume && !run.firstTask.isFirstAttempt() && run.get().evaluation === undefined) {
      run.cancelHeld = true;
      return;
    }
    run.apply({ type: 'cancelled' });
  });
  return CancellationScope.nonCancellable(() =>
    input.resume
      ? resumeReview(run, input.resume)
      : decideAndExecute(run, (keys, agentKeys, appendAsItHappens) => {
          trustedKeys = keys;
          messageKeys = agentKeys;
          auditAsItHappens = appendAsItHappens;
        }),
  );
}

/** The story: policy, review, preconditions, commit. */
async function decideAndExecute(
  run: Run,
  trust: (keys: TrustedKeys, messageKeys: MessageKeys, auditAsItHappens: boolean) => void,
): Promise<ApprovalState> {
  const { workflowId } = run;
  run.apply({ type: 'evaluation_started' });
  const evaluated = await run.steps.evaluatePolicy({ proposal: run.get().proposal, workflowId });
  trust(
    { decision: evaluated.decisionKeys, grants: evaluated.grantKeys ?? {}, operators: evaluated.operatorKeys ?? {} },
    // Histories recorded before agents signed their proposals carry neither.
    { agent: evaluated.agentKeys ?? {}, operators: evaluated.operatorKeys ?? {} },
    evaluated.auditAsItHappens === true,
  );
  // Workers of this release record firstTaskChecked whatever their own limit, so a task an
  // in-task committer lost is handled with care wherever it is retried.
  run.mayHaveCommitted = evaluated.firstTaskChecked === true && !run.firstTask.isFirstAttempt();
  if (run.cancelHeld && run.mayHaveCommitted) {
    run.apply({ type: 'evaluated', evaluation: evaluated.evaluation });
    return inDoubt(run, 'an operator cancelled the run');
  }
  if (run.cancelHeld) run.apply({ type: 'cancelled' });
  if (run.get().status === Status.withdrawn) return finish(run);
  run.apply({ type: 'evaluated', evaluation: evaluated.evaluation });
  const { outcome } = evaluated.evaluation;
  run.commitInTask = evaluated.commitInTask === true && outcome === 'auto_approve';
  // An earlier attempt of this task may have committed under an auto-approval this evaluation no
  // longer gives (the policy, the agents or the sampling key differ on this worker): asking
  // reviewers now could end in a rejection of an action that ran, or a second run of it under a
  // new round's key. A person checks the target instead. (Auto-approved again, the run commits
  // as before: locally, so counted as a retry, checking the target first.)
  if (run.mayHaveCommitted && outcome !== 'auto_approve') return inDoubt(run, `the policy now says ${outcome}`);

  switch (outcome) {
    case 'deny':
      run.apply({ type: 'denied', reason: evaluated.evaluation.reason });
      return finish(run);
    case 'auto_approve':
      run.apply({ type: 'auto_approved', reason: evaluated.evaluation.reason });
      break;
    case 'review':
      await runReview(run);
      if (run.get().status !== Status.approved) return finish(run);
      break;
    default: {
      const unreachable: never = outcome;
      throw ApplicationFailure.nonRetryable(`unknown evaluation outcome ${String(unreachable)}`);
    }
  }
  return executeIfStillApproved(run);
}

/** Nothing more runs: the operators are mailed to check the target (see decideAndExecute). */
async function inDoubt(run: Run, why: string): Promise<ApprovalState> {
  run.apply({ type: 'earlier_attempt_in_doubt', idempotencyKey: idempotencyKeyFor(run.workflowId, run.get().round), why });
  await callOperators(run);
  return finish(run);
}

/** A run continued from an earlier one: the review goes on where it was, then the same story. */
async function resumeReview(run: Run, resumed: Resumed): Promise<ApprovalState> {
  const { proposal } = run.get();
  run.outbox.resend(resumed.unsent.map((notice) => ({ ...notice, proposal: notice.proposal ?? proposal })));
  if (inReview(run.get())) await runReview(run, resumed.clock);
  const status = run.get().status;
  if (status !== Status.approved && status !== Status.autoApproved) return finish(run);
  return executeIfStillApproved(run);
}

/**
 * Once the story stopped waiting, a run waiting for weeks hands over to a new run of the same id
 * with its state and clock; mail in flight is carried, and it waits only for running handlers so
 * no decision is dropped at the hand-over. Signals and updates that arrive meanwhile reach the
 * new run (the server refuses to close a run with unhandled messages).
 */
async function handOver(
  run: Run,
  proposal: Proposal,
  keys: () => { trustedKeys: TrustedKeys; messageKeys: MessageKeys | undefined; auditAsItHappens: boolean },
  clock: ReviewClock,
): Promise<void> {
  run.handingOver = true;
  await condition(allHandlersFinished);
  run.handingOver = false;
  const state = run.get();
  if (!inReview(state) || state.round !== clock.round) return;
  const info = workflowInfo();
  // Memo (the proposal hash a repeated proposal is checked against) and search attributes go on.
  const next = makeContinueAsNewFunc<typeof approvalWorkflow>({
    ...(info.memo ? { memo: info.memo } : {}),
    typedSearchAttributes: info.typedSearchAttributes,
  });
  const { trustedKeys, messageKeys, auditAsItHappens } = keys();
  await next({
    proposal,
    resume: {
      state: withoutStaleSignatures(state),
      trustedKeys,
      ...(messageKeys ? { messageKeys } : {}),
      clock,
      unsent: carriedNotices(run.outbox.unsent(), state),
      auditAsItHappens,
    },
  });
}

/** The unsent notices of the version under review, without what the new run has already. */
function carriedNotices(unsent: NotifyInput[], state: ApprovalState): CarriedNotice[] {
  return unsent
    .filter((notice) => notice.paramsHash === state.paramsHash)
    .map(({ proposal: _proposal, auditState: _auditState, ...notice }) => notice);
}

/**
 * The state a new run takes on: decisions keep their signed copies only where the commit could
 * still count them (approvals of the version now under review). Each signed edit carries its
 * whole params, so a run edited many times would otherwise hand over more than Temporal accepts.
 */
function withoutStaleSignatures(state: ApprovalState): ApprovalState {
  return {
    ...state,
    decisions: state.decisions.map(({ signed, ...d }) => (signed && approvedHashOf(signed) === state.paramsHash ? { ...d, signed } : d)),
  };
}

async function executeIfStillApproved(run: Run): Promise<ApprovalState> {
  // Checked here as well as in preconditionsHold: most runs have none, and skipping the call
  // spares its promises (each one a stack capture in the SDK) on every decision and replay.
  if (expectedPreconditions(run) && !(await preconditionsHold(run))) return finish(run);
  // Cancelled by an operator after the approval, before the commit: nothing runs.
  if (run.get().status === Status.withdrawn) return finish(run);
  // Started, a commit is never left half-done: it finishes and is verified whatever is cancelled.
  await executeApproved(run);
  return finish(run);
}

/** How often a run goes back for re-approval because the world moved, before it gives up. */
const MAX_PRECONDITION_ROUNDS = 3;

/** What the agent recorded the target to look like (checked again before the commit), if anything. */
function expectedPreconditions(run: Run): Record<string, unknown> | undefined {
  const expected = run.get().proposal.evidence.preconditions;
  return expected && Object.keys(expected).length > 0 ? expected : undefined;
}

/**
 * Before committing, the target must still be as the agent saw it. If not, the run goes back to
 * its reviewers with the difference instead of committing a stale decision.
 */
async function preconditionsHold(run: Run): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const state = run.get();
    const expected = expectedPreconditions(run);
    if (!expected) return true;
    const drift = await run.steps.checkPreconditions({
      workflowId: run.workflowId,
      actionType: state.proposal.actionType,
      params: state.proposal.params,
      approvedHash: state.paramsHash,
      idempotencyKey: idempotencyKeyFor(run.workflowId, state.round),
      expected,
    });
    if (drift.length === 0) return true;
    if (attempt >= MAX_PRECONDITION_ROUNDS) {
      run.apply({ type: 'preconditions_failed', fields: drift.map((d) => d.field) });
      return false;
    }
    run.apply({ type: 'drifted', drift });
    if (run.get().status === Status.awaitingApproval) await runReview(run);
    if (run.get().status !== Status.approved) return false;
  }
}

/**
 * Tells the principal the outcome, then waits for in-flight handlers so no decision is dropped.
 * Out of reach of a cancel: a cancelled run still mails its outcome and writes its audit record.
 */
async function finish(run: Run): Promise<ApprovalState> {
  const state = run.get();
  const contact = state.proposal.requestedBy;
  if (contact.email && state.evaluation) {
    run.outbox.push({
      purpose: NoticePurpose.outcome,
      recipients: [{ reviewer: { id: contact.id, name: contact.name ?? contact.id, email: contact.email } }],
    });
    if (!run.background) await run.outbox.flush(run.get());
  }
  // Mail still on its way (a server that was down through the round) is delivered before the run
  // ends: a run that completes abandons its pending activities.
  if (run.background) await run.outbox.flush(run.get());
  // Histories recorded before the audit log existed replay without this step; runs with local
  // steps came later still, so they need no second marker for it.
  if (run.lean || patched('audit-log')) await run.steps.recordAudit({ state: run.get() });
  // Asked only of runs whose proposal names a webhook: no recorded history carries one.
  const webhook = run.get().proposal.notify?.webhook;
  if (webhook && patched('outcome-webhook')) await notifyAgentService(run, webhook);
  recordRunMetrics(run.get());
  await condition(allHandlersFinished);
  return boundedResult(run.get());
}

/**
 * Posts the outcome to the agent's service. A delivery that fails for good (the receiver refused
 * it, the URL is not allowed, no key, retries exhausted) does not change the outcome; it is logged
 * and noted on the run as an event, and the service can still read the run's result or wait for it.
 */
async function notifyAgentService(run: Run, url: string): Promise<void> {
  try {
    await deliverOutcome({ url, outcome: outcomeOf(run.get(), nowIso()) });
  } catch (err) {
    // The activity failure wraps the reason (refused, not allowed, no key) as its cause.
    const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    log.warn('outcome webhook not delivered', { workflowId: run.workflowId, reason });
    // Only in runs whose proposal names a webhook, past the `outcome-webhook` patch: no recorded
    // history carries one, and applying an event adds no command to the history.
    run.apply({ type: 'webhook_undeliverable', reason });
  }
}
