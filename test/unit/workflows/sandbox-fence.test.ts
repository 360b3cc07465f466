/**
 * The fence around Temporal's deterministic sandbox: workflow code (and everything it imports at
 * run time) may use only workflow-safe modules. Type-only imports are erased and may point anywhere.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const ALLOWED_PACKAGES = [/^@temporalio\/workflow$/, /^@temporalio\/common(\/|$)/, /^zod$/, /^@noble\/(hashes|curves)\//];
const ALLOWED_DIRS = ['workflows', 'src/domain'];

function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^import\s+(?!type\b)[^'";]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

function resolveLocal(from: string, spec: string): string {
  return resolve(dirname(from), `${spec}.ts`);
}

function checkTree(): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const queue = readdirSync(join(ROOT, 'workflows'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(ROOT, 'workflows', f));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) {
        const target = resolveLocal(file, spec);
        const rel = relative(ROOT, target);
        if (!ALLOWED_DIRS.some((d) => rel.startsWith(`${d}/`))) problems.push(`${relative(ROOT, file)} imports ${rel}`);
        else queue.push(target);
      } else if (!ALLOWED_PACKAGES.some((re) => re.test(spec))) {
        problems.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    }
  }
  return problems;
}

describe('workflow sandbox fence', () => {
  it('keeps workflow code to workflow-safe imports', () => {
    expect(checkTree()).toEqual([]);
  });

  it('notices a forbidden import', () => {
    expect(runtimeImports(__filename)).toContain('node:fs');
    expect(ALLOWED_PACKAGES.some((re) => re.test('node:crypto'))).toBe(false);
  });
});
