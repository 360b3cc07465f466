/**
 * The run as the story's steps and the message handlers share it: its state (changed only by
 * applying events to the reducer), its outbox and the step activities it uses.
 */
import type { UnstampedRunEvent } from '../src/domain/run-event';
import type { ApprovalState } from '../src/domain/state';
import type { StepActivities } from './activity-proxies';
import type { FirstTaskWatch } from './first-task';
import type { Outbox } from './notices';
import type { ReviewClock } from './review';

export interface Run {
  readonly workflowId: string;
  get(): ApprovalState;
  /** Applies one event at the workflow's current time and publishes the new state. */
  apply(event: UnstampedRunEvent): ApprovalState;
  readonly outbox: Outbox;
  /** Started after the 'local-steps' patch (see approvalWorkflow): the shorter history. */
  readonly lean: boolean;
  /** Started after the 'background-notify' patch: mail is sent beside the SLA clock, not before it. */
  readonly background: boolean;
  /** Appends audit entries as it goes: decided by the worker that evaluated the run. */
  auditAsItHappens(): boolean;
  /**
   * The policy approved the run and its worker commits such runs within the workflow task that
   * approved them (see EvaluatedProposal.commitInTask): a local step instead of a regular activity.
   */
  commitInTask: boolean;
  /** Counts what reached the run before its policy step answered (see workflows/first-task.ts). */
  readonly firstTask: FirstTaskWatch;
  /** An earlier attempt of the run's first task may have committed: any commit checks the target first. */
  mayHaveCommitted: boolean;
  /** A cancel that reached a retried first task, held until the policy step says what may have run. */
  cancelHeld: boolean;
  /** Policy, precondition, verification and audit steps, local or regular. */
  readonly steps: StepActivities;
  /** Publishes the current status as one the run rests in (see createStatePublisher). */
  showResting(): void;
  /**
   * Hands the waiting run over to a new run of the same workflow id with its state and the
   * round's clock, once its mail is sent and no handler runs; returns (without handing over) if
   * the round moved on meanwhile.
   */
  continueAsNew(clock: ReviewClock): Promise<void>;
  /**
   * True while a hand-over waits for the run's handlers: a handler that would wait (a deferred
   * trust refresh) acts at once instead, or anyone sending it could hold the hand-over off.
   */
  handingOver: boolean;
}
