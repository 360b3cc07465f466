/**
 * Builds a worker from explicit dependencies, so the process entry point and the tests assemble
 * the same thing.
 */
import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { workflowBundleOptions } from './workflows-path';

export interface WorkerSetup extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A pre-built bundle (tests build one per run); otherwise the workflows are bundled here. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Encrypts payloads in history; must match the clients'. */
  dataConverter?: DataConverter;
  tuning?: Partial<
    Pick<
      WorkerOptions,
      | 'maxCachedWorkflows'
      | 'maxConcurrentActivityTaskExecutions'
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'shutdownGraceTime'
      | 'shutdownForceTime'
      | 'debugMode'
    >
  >;
}

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : bundledHere()),
    activities: createActivities(setup),
    ...(setup.dataConverter ? { dataConverter: setup.dataConverter } : {}),
    // An activity stuck in I/O must not keep a stopping worker alive forever.
    shutdownGraceTime: '5 seconds',
    shutdownForceTime: '10 seconds',
    ...setup.tuning,
  });
}

function bundledHere(): Pick<WorkerOptions, 'workflowsPath' | 'bundlerOptions'> {
  const { workflowsPath, preloadModules } = workflowBundleOptions();
  return { workflowsPath, bundlerOptions: { preloadModules } };
}
