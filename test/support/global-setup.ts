/**
 * One throw-away Temporal dev server for the whole run, started through @temporalio/testing
 * from the project's own CLI binary (never downloaded), and one workflow bundle shared by every
 * test file. Files connect to the server as an existing one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { devServerDynamicConfigArgs } from '../../src/dev/dev-server-config';
import { installedTemporalCli } from '../../src/dev/temporal-cli';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../src/domain/search-attributes';
import { bundleWorkflowsQuietly } from '../../src/worker/bundle';

export const ARTIFACTS = resolve(__dirname, '../../test-artifacts');

export default async function globalSetup(): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = installedTemporalCli();
  let env: TestWorkflowEnvironment | undefined;
  for (let attempt = 1; !env; attempt++) {
    try {
      env = await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path },
          ip: '127.0.0.1',
          searchAttributes: ALL_SEARCH_ATTRIBUTE_KEYS,
          extraArgs: devServerDynamicConfigArgs(),
        },
      });
    } catch (err) {
      // A busy 2-core machine can miss the start-up probe; one more try is cheap.
      if (attempt >= 3) throw err;
    }
  }
  const bundlePath = resolve(ARTIFACTS, 'workflow-bundle.js');
  writeFileSync(bundlePath, await bundleWorkflowsQuietly());
  process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS'] = env.connection.options.address;
  process.env['GATEHOUSE_TEST_TEMPORAL_CLI'] = path;
  process.env['GATEHOUSE_TEST_WORKFLOW_BUNDLE'] = bundlePath;
  (globalThis as { __TEMPORAL_ENV__?: TestWorkflowEnvironment }).__TEMPORAL_ENV__ = env;
}
