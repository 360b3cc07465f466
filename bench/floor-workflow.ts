/**
 * The floor: the smallest workflow of the approval's shape (the samples-typescript `expense`
 * shape). It waits for one signal, with a timeout like an SLA, then runs one no-op activity.
 */
import {
  condition,
  defineSignal,
  defineUpdate,
  proxyActivities,
  proxySinks,
  setHandler,
  workflowInfo,
  type Sinks,
} from '@temporalio/workflow';

export const floorDecideSignal = defineSignal<[{ approve: boolean }]>('bench.floor.decide');
/**
 * The same decision as an Update, which Gatehouse uses (the caller learns at once whether its
 * decision was taken): a reference for what the Update path itself costs on this server.
 */
export const floorDecideUpdate = defineUpdate<void, [{ approve: boolean }]>('bench.floor.decideUpdate');

export interface FloorActivities {
  floorCommit(input: { workflowId: string }): Promise<void>;
}

/**
 * Tells the bench the run is waiting. A sink runs in the worker after the activation, leaves no
 * trace in history and is skipped on replay: it costs the floor nothing the approval pays for.
 */
export interface FloorSinks extends Sinks {
  bench: { waiting(): void };
}
const { bench } = proxySinks<FloorSinks>();

const { floorCommit } = proxyActivities<FloorActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 },
});

export async function floorWorkflow(): Promise<'done' | 'expired'> {
  let decided = false;
  setHandler(floorDecideSignal, () => {
    decided = true;
  });
  setHandler(floorDecideUpdate, () => {
    decided = true;
  });
  bench.waiting();
  if (!(await condition(() => decided, '24 hours'))) return 'expired';
  await floorCommit({ workflowId: workflowInfo().workflowId });
  return 'done';
}
