/**
 * Bundling workflow code ahead of time (the test run, the bench), as a deployment that ships a
 * pre-built bundle would. Only the bundler's errors are shown: its progress lines would bury the
 * output of whatever asked for the bundle.
 */
import type { Logger } from '@temporalio/common';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import { workflowBundleOptions } from './workflows-path';

const ignore = (): void => undefined;

/** A bundler logger that writes errors to stderr and drops everything else. */
export const quietBundlerLogger: Logger = {
  log: ignore,
  trace: ignore,
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: (message: string) => process.stderr.write(`${message}\n`),
};

/** The bundle's code; by default the approval workflows, built as the worker builds them. */
export async function bundleWorkflowsQuietly(options: Omit<BundleOptions, 'logger'> = workflowBundleOptions()): Promise<string> {
  const { code } = await bundleWorkflowCode({ ...options, logger: quietBundlerLogger });
  return code;
}
