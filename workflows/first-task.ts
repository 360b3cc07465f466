/**
 * Whether the run's first workflow task is the first attempt of it. An auto-approved run commits
 * inside that task (see EvaluatedProposal.commitInTask), and nothing of a task is in history until
 * it completes: if an earlier attempt failed or timed out (its worker died, a signal made the
 * server refuse its completion), that attempt may have committed, and the policy is being
 * evaluated again.
 *
 * The first task of a new run sees three events (started, task scheduled, task started) plus one
 * per signal or cancel request that arrived before it, each delivered in that task's first
 * activation; anything more is an earlier attempt of the task. Only what the first task's
 * activations see is counted: the policy step's answer may reach the run in a later task (the
 * worker completes the task early to answer a query, or while a slow step runs) yet be replayed
 * in the first, so nothing later may change the answer.
 */
import { workflowInfo } from '@temporalio/workflow';

const NEW_RUN_FIRST_TASK_EVENTS = 3;

export interface FirstTaskWatch {
  /** A signal or cancel request reached the run. */
  noteEvent(): void;
  /** True when the run's first task is its first attempt. */
  isFirstAttempt(): boolean;
}

/** Call in the run's first activation. */
export function watchFirstTask(): FirstTaskWatch {
  const firstTaskLength = workflowInfo().historyLength;
  let events = 0;
  return {
    noteEvent() {
      if (workflowInfo().historyLength === firstTaskLength) events++;
    },
    isFirstAttempt: () => firstTaskLength === NEW_RUN_FIRST_TASK_EVENTS + events,
  };
}
