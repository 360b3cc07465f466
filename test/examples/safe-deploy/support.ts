/** Workers for each version of the safe-deploy example, against the suite's Temporal server. */
import { resolve } from 'node:path';
import {
  bundleWorkflowCode,
  DefaultLogger,
  makeTelemetryFilterString,
  type NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import * as activities from '../../../examples/safe-deploy/activities';

export const EXAMPLE = resolve(__dirname, '../../../examples/safe-deploy');
export const HISTORIES = resolve(EXAMPLE, 'histories');
export type Version = 'v1' | 'v2-unpatched' | 'v2-patched';

const bundles = new Map<Version, Promise<WorkflowBundleWithSourceMap>>();

export function quietRuntime(): void {
  try {
    // The determinism violations below are expected: core's warnings about them are noise here.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } },
    });
  } catch {
    // Already installed in this process: keep it.
  }
}

export function bundleOf(version: Version): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(version);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath: resolve(EXAMPLE, 'workflows', `${version}.ts`), logger: new DefaultLogger('ERROR') });
    bundles.set(version, bundle);
  }
  return bundle;
}

export async function startExampleWorker(
  version: Version,
  connection: NativeConnection,
  taskQueue: string,
): Promise<{ stop(): Promise<void> }> {
  const worker = await Worker.create({ connection, taskQueue, workflowBundle: await bundleOf(version), activities });
  const running = worker.run();
  return {
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}

export { activities };
