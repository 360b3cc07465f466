/**
 * The Temporal CLI this checkout uses: `./temporal-dev.sh install` finds it or installs it (go
 * install, else PyPI) and prints its path last. The test suite and the bench start their dev
 * servers with it.
 */
import { execFileSync } from 'node:child_process';
import { checkoutFile } from './checkout-file';

const SCRIPT = checkoutFile('temporal-dev.sh');

/** Installs the CLI if it is missing and returns its path. */
export function installedTemporalCli(): string {
  const out = execFileSync(SCRIPT, ['install'], { encoding: 'utf8' });
  return out.trim().split('\n').pop()!;
}
