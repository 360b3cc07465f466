/**
 * Bundles the approval workflows and the floor workflow once, in a short-lived process of its
 * own, the way a deployment ships a pre-built bundle: the worker's RSS is then the worker's, not
 * webpack's. Usage: tsx bench/bundle.ts OUT_DIR (writes gatehouse.js and floor.js).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../src/worker/workflows-path';

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => process.stderr.write(`${message}\n`),
};

async function main(outDir: string): Promise<void> {
  const gatehouse = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: quiet });
  writeFileSync(join(outDir, 'gatehouse.js'), gatehouse.code);
  const floor = await bundleWorkflowCode({ workflowsPath: resolve(__dirname, 'floor-workflow.ts'), logger: quiet });
  writeFileSync(join(outDir, 'floor.js'), floor.code);
}

main(process.argv[2] ?? '.').catch((err: unknown) => {
  process.stderr.write(`bench bundle failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
