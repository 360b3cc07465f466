/** Where the workflow sources are, both from TypeScript sources and from the compiled dist/. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

function workflowModule(name: string): string {
  const ts = resolve(__dirname, `../../workflows/${name}.ts`);
  const js = resolve(__dirname, `../../workflows/${name}.js`);
  return __filename.endsWith('.ts') && existsSync(ts) ? ts : js;
}

export function workflowsPath(): string {
  return workflowModule('index');
}

/**
 * What every bundle of the approval workflows is built from (worker, tests, bench): the entry and
 * the stateless libraries every run shares in the worker's reusable V8 context.
 */
export function workflowBundleOptions(): { workflowsPath: string; preloadModules: string[] } {
  return { workflowsPath: workflowsPath(), preloadModules: [workflowModule('shared-modules')] };
}
