/**
 * The floor: the smallest workflow of the approval's shape (the samples-typescript `expense`
 * shape). It waits for one signal, with a timeout like an SLA, then runs one no-op activity.
 */
import { condition, defineSignal, proxyActivities, proxySinks, setHandler, workflowInfo, type Sinks } from '@temporalio/workflow';

export const floorDecideSignal = defineSignal<[{ approve: boolean }]>('bench.floor.decide');

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
  bench.waiting();
  if (!(await condition(() => decided, '24 hours'))) return 'expired';
  await floorCommit({ workflowId: workflowInfo().workflowId });
  return 'done';
}
