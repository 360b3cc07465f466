/**
 * The Temporal CLI this checkout uses: `./temporal-dev.sh install` finds it or installs it (go
 * install, else PyPI) and prints its path last. The test suite and the bench start their dev
 * servers with it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** From src/dev under tsx and jest, or from dist/src/dev once compiled. */
const CANDIDATES = ['../../temporal-dev.sh', '../../../temporal-dev.sh'].map((p) => resolve(__dirname, p));
const SCRIPT = CANDIDATES.find((f) => existsSync(f)) ?? CANDIDATES[0]!;

/** Installs the CLI if it is missing and returns its path. */
export function installedTemporalCli(): string {
  const out = execFileSync(SCRIPT, ['install'], { encoding: 'utf8' });
  return out.trim().split('\n').pop()!;
}
