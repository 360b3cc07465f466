/**
 * The package as a service installs it: `gatehouse` and its adapter sub-paths resolve through
 * package.json `exports` (from dist/, so `npm run build` first), with their types, in a project
 * that resolves like Node (node16); paths outside `exports` do not resolve.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const SUBPATHS = ['openai-agents', 'langgraph', 'ai-sdk', 'state-store'] as const;

/** A consumer project whose node_modules holds this package (a link, as `npm link` makes). */
function consumer(files: Record<string, string>): string {
  if (!existsSync(join(ROOT, 'dist/src/adapters/openai-agents.js'))) throw new Error('dist/ is missing: run `npm run build`');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules/gatehouse'), 'dir');
  const tsconfig = {
    compilerOptions: {
      module: 'node16',
      moduleResolution: 'node16',
      target: 'ES2022',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
    files: Object.keys(files).filter((f) => f.endsWith('.ts')),
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function typecheck(dir: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', timeout: 90_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('package exports', () => {
  it('types every adapter sub-path and the client through the package name', () => {
    const dir = consumer({
      'use.ts': `
import { GatehouseClient } from 'gatehouse';
import { AgentResumeError, OpenAIAgentsGate } from 'gatehouse/adapters/openai-agents';
import { gatehouseInterrupt, type GatedActionResult } from 'gatehouse/adapters/langgraph';
import { AiSdkGate } from 'gatehouse/adapters/ai-sdk';
import { filePausedAgentStore, type PausedAgentStore } from 'gatehouse/adapters/state-store';

const store: PausedAgentStore = filePausedAgentStore('agents');
const result: GatedActionResult | undefined = undefined;
// Real types, not \`any\`: each misuse below must be an error.
// @ts-expect-error the gate needs a client and a store
new OpenAIAgentsGate({});
// @ts-expect-error the gate needs a client
new AiSdkGate({});
// @ts-expect-error a store's key is a string
void store.get(42);
export const used = [GatehouseClient, AgentResumeError, gatehouseInterrupt, result];
`,
    });
    const { status, output } = typecheck(dir);
    expect(output).toBe('');
    expect(status).toBe(0);
  }, 120_000);

  it('refuses paths the package does not export', () => {
    const dir = consumer({
      'deep.ts': `import { OpenAIAgentsGate } from 'gatehouse/dist/src/adapters/openai-agents';\nexport { OpenAIAgentsGate };\n`,
    });
    const { status, output } = typecheck(dir);
    expect(status).not.toBe(0);
    expect(output).toContain("Cannot find module 'gatehouse/dist/src/adapters/openai-agents'");
  }, 120_000);

  it('loads every sub-path through the package name at run time, by require and by import', () => {
    const dir = consumer({
      'load.mjs': `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const out = {};
for (const sub of ${JSON.stringify(SUBPATHS)}) {
  out[sub] = { required: Object.keys(require('gatehouse/adapters/' + sub)).sort(), imported: Object.keys(await import('gatehouse/adapters/' + sub)).sort() };
}
out.client = Object.keys(require('gatehouse')).includes('GatehouseClient');
let deep;
try { require('gatehouse/dist/src/adapters/ai-sdk.js'); deep = 'loaded'; } catch (err) { deep = err.code; }
out.deep = deep;
process.stdout.write(JSON.stringify(out));
`,
    });
    const run = spawnSync(process.execPath, [join(dir, 'load.mjs')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as Record<string, { required: string[]; imported: string[] }> & { client: boolean; deep: string };
    expect(out['openai-agents']?.required).toEqual(expect.arrayContaining(['OpenAIAgentsGate', 'AgentResumeError']));
    expect(out['langgraph']?.required).toEqual(expect.arrayContaining(['gatehouseInterrupt', 'resumeWhenEnded', 'awaitedRunsOf']));
    expect(out['ai-sdk']?.required).toEqual(expect.arrayContaining(['AiSdkGate']));
    expect(out['state-store']?.required).toEqual(expect.arrayContaining(['filePausedAgentStore']));
    for (const sub of SUBPATHS) expect(out[sub]?.imported).toEqual(expect.arrayContaining(out[sub]!.required));
    expect(out.client).toBe(true);
    expect(out.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  }, 120_000);
});
