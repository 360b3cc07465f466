/** Where the workflow sources are, both from TypeScript sources and from the compiled dist/. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export function workflowsPath(): string {
  const ts = resolve(__dirname, '../../workflows/index.ts');
  const js = resolve(__dirname, '../../workflows/index.js');
  return __filename.endsWith('.ts') && existsSync(ts) ? ts : js;
}
