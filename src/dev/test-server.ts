/**
 * Temporal's time-skipping test server for tests that wait days of workflow time:
 * `scripts/test-server.sh install` (run by `temporal-dev.sh install` too) fetches the pinned Java
 * build from Maven Central once and prints the launcher's path last.
 */
import { execFileSync } from 'node:child_process';
import { checkoutFile } from './checkout-file';

const SCRIPT = checkoutFile('scripts/test-server.sh');

/** Installs the test server if it is missing and returns its launcher's path. */
export function installedTestServer(): string {
  const out = execFileSync(SCRIPT, ['install'], { encoding: 'utf8' });
  return out.trim().split('\n').pop()!;
}
