/**
 * Builds what the bench's processes run, once, in a short-lived process of its own, the way a
 * deployment ships it: the approval and floor workflow bundles (the worker's RSS is then the
 * worker's, not webpack's), and the worker and decision service processes as plain JavaScript.
 * A deployment runs compiled code under plain node; under tsx, Node's source-map support is on
 * in the worker and its workflow threads, and every `new Function` and stack trace the SDK's
 * promise hook makes in a workflow pays for it, inflating replay most of all.
 * Usage: tsx bench/bundle.ts OUT_DIR (writes gatehouse.js, floor.js, worker-process.js and
 * http-process.js).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { bundleWorkflowsQuietly } from '../src/worker/bundle';

async function main(outDir: string): Promise<void> {
  writeFileSync(join(outDir, 'gatehouse.js'), await bundleWorkflowsQuietly());
  writeFileSync(join(outDir, 'floor.js'), await bundleWorkflowsQuietly({ workflowsPath: resolve(__dirname, 'floor-workflow.ts') }));
  // Packages stay external: the processes are started with NODE_PATH at this checkout's
  // node_modules (fork-process.ts), so they load the very same SDK and native core as the driver.
  await build({
    entryPoints: [resolve(__dirname, 'worker-process.ts'), resolve(__dirname, 'http-process.ts')],
    outdir: outDir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
}

main(process.argv[2] ?? '.').catch((err: unknown) => {
  process.stderr.write(`bench bundle failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
