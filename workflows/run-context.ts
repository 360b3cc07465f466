/**
 * The run as the story's steps and the message handlers share it: its state (changed only by
 * applying events to the reducer), its outbox and the step activities it uses.
 */
import type { UnstampedRunEvent } from '../src/domain/run-event';
import type { ApprovalState } from '../src/domain/state';
import type { StepActivities } from './activity-proxies';
import type { Outbox } from './notices';

export interface Run {
  readonly workflowId: string;
  get(): ApprovalState;
  /** Applies one event at the workflow's current time and publishes the new state. */
  apply(event: UnstampedRunEvent): ApprovalState;
  readonly outbox: Outbox;
  /** Started after the 'local-steps' patch (see approvalWorkflow): the shorter history. */
  readonly lean: boolean;
  /** Policy, precondition, verification and audit steps, local or regular. */
  readonly steps: StepActivities;
  /** Publishes the current status as one the run rests in (see createStatePublisher). */
  showResting(): void;
}
