/**
 * The README's configuration table is the one place a deployer learns what can be set, so every
 * variable the code reads must be in it: the config schema (src/config/env.ts), any other
 * `process.env` read in the product's code, and the overrides the dev scripts honour.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigSchema } from '../../../src/config/env';

const ROOT = resolve(__dirname, '../../..');
const CODE_DIRS = ['src', 'activities', 'workflows'];
const SCRIPTS = ['temporal-dev.sh', 'scripts/temporal-cluster.sh', 'scripts/gatehouse-stack.sh'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** `process.env['X']`, `process.env.X` and `process.env?.X` in TypeScript and JavaScript. */
function envReadsInCode(text: string): string[] {
  return [...text.matchAll(/process\.env(?:\?\.|\.|\[\s*['"`])([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);
}

/** `${X:-default}` and `${X-default}` in shell: a variable the script lets the caller override. */
function envReadsInShell(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Z][A-Z0-9_]*):?-/g)].map((m) => m[1]!);
}

/** Every backticked name in the first column of the table under `## Configuration`. */
function readmeConfigurationNames(readme: string): Set<string> {
  const section = readme.split(/^## Configuration\s*$/m)[1]?.split(/^## /m)[0] ?? '';
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1] ?? '';
    for (const m of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1]!);
  }
  return names;
}

function readVariables(): Map<string, string> {
  const reads = new Map<string, string>();
  for (const name of Object.keys(ConfigSchema.shape)) reads.set(name, 'src/config/env.ts');
  for (const dir of CODE_DIRS) {
    for (const file of sourceFiles(join(ROOT, dir))) {
      for (const name of envReadsInCode(readFileSync(file, 'utf8'))) if (!reads.has(name)) reads.set(name, file.slice(ROOT.length + 1));
    }
  }
  for (const script of SCRIPTS) {
    for (const name of envReadsInShell(readFileSync(join(ROOT, script), 'utf8'))) if (!reads.has(name)) reads.set(name, script);
  }
  return reads;
}

describe('README configuration table', () => {
  it('lists every environment variable the code and the dev scripts read', () => {
    const documented = readmeConfigurationNames(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const missing = [...readVariables()].filter(([name]) => !documented.has(name)).map(([name, where]) => `${name} (read in ${where})`);
    expect(missing).toEqual([]);
  });

  it('finds reads in every form the code writes them, so the check above can fail', () => {
    expect(envReadsInCode(`process.env['A_B'] + process.env.C_D + process.env["E"]`)).toEqual(['A_B', 'C_D', 'E']);
    expect(envReadsInShell('PORT="${TEMPORAL_PORT:-7233}" X=${OTHER-1} ${NOT_OVERRIDE}')).toEqual(['TEMPORAL_PORT', 'OTHER']);
    const names = readmeConfigurationNames('## Configuration\n| `A` / `B` | `C_D` | x |\n## Next\n| `E` | - |');
    expect([...names]).toEqual(['A', 'B']);
  });
});
