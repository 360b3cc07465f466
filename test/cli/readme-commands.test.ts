/**
 * The README's operator commands, word for word: every `npx gatehouse …` line of its code blocks
 * is run in order, as the built `gatehouse` bin, against the real server with a worker on the
 * shipped policies and the sample proposals, with the keys the dev stack's `.gatehouse/dev.env`
 * would give (the block's `set -a; . .gatehouse/dev.env` line). Each must succeed; a bad input
 * must end in a sentence naming the field, with exit code 2, never a schema dump.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { builtInActionTypes } from '../../src/actions/registry';
import { generateDecisionKeyPair } from '../../src/links/decision-signer';
import { loadAgentRegistry } from '../../src/policy/agents';
import { loadPolicyBook } from '../../src/policy/load';
import { runCli, type CliResult } from '../support/cli';
import { createHarness, type Harness } from '../support/harness';

const ROOT = resolve(__dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Splits one shell command line into words: plain words, '…' and "…" (no expansions used). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** The `npx gatehouse` lines of the README's code blocks, comments cut, in order. */
function readmeCommands(): string[][] {
  const blocks = [...README.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l.startsWith('npx gatehouse '))
    .map((l) => shellWords(l).slice(2));
}

let h: Harness;
let env: Record<string, string>;
const gatehouse = (...args: string[]): Promise<CliResult> => runCli(env, ...args);

beforeAll(async () => {
  const names = builtInActionTypes().names();
  h = await createHarness({
    extendPolicyBook: () => loadPolicyBook(join(ROOT, 'policies'), join(ROOT, 'policies/reviewers.yaml'), names),
  });
  // What ./temporal-dev.sh writes to .gatehouse/dev.env: an agent key for every sample agent, and
  // an operator key the worker registers to fred.finance.
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-readme-'));
  const made = await runCli({}, 'keys', '--agent-only', '--agents-file', join(dir, 'agents.yaml'), '--examples', join(ROOT, 'examples'));
  const agentKey = /^GATEHOUSE_AGENT_KEY=(.+)$/m.exec(made.stdout)![1]!;
  for (const agent of loadAgentRegistry(join(dir, 'agents.yaml'), names).values()) h.agents.set(agent.id, agent);
  const fred = generateDecisionKeyPair();
  h.operatorKeys['op-fred'] = { owner: 'fred.finance', publicKeyHex: fred.publicKeyHex };
  await h.startWorker();
  env = {
    GATEHOUSE_TASK_QUEUE: h.taskQueue,
    GATEHOUSE_AGENT_KEY: agentKey,
    GATEHOUSE_OPERATOR_KEY: `op-fred:${fred.privateKeyHex}`,
    // The worker's audit log, its keys and checkpoints: what dev.env gives the CLI.
    ...h.auditEnv,
  };
}, 60_000);
afterAll(() => h?.close());

describe('the README, word for word', () => {
  it('runs the CLI as `npx gatehouse`: the package bin is the built CLI', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['gatehouse']).toBe('dist/src/cli/main.js');
  });

  it('shows only subcommands the CLI has', async () => {
    const usage = (await gatehouse('help')).stderr;
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThanOrEqual(10);
    for (const [name] of commands) expect(usage).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('runs every README command in order, each succeeding against the real server', async () => {
    const results: string[] = [];
    for (const args of readmeCommands()) {
      const result = await gatehouse(...args);
      results.push(`${args.join(' ')} → ${result.code}${result.code === 0 ? '' : `: ${result.stderr.trim()}`}`);
    }
    expect(results.filter((r) => !r.includes(' → 0'))).toEqual([]);
    // The sample ids the README names are the runs its commands made.
    expect((await (await h.gatehouse.getProposal('refund-agent:demo-refund-1')).status()).status).toBe('withdrawn');
    expect((await (await h.gatehouse.getProposal('release-agent:demo-deploy-1')).status()).status).toBe('withdrawn');
  }, 120_000);

  it.each([
    [['decide', 'refund-agent:demo-refund-1', '--as', 'fred.finance', '--role', 'finance'], /usage: gatehouse decide/],
    [['list', '--status', 'pending'], /unknown status "pending"; one of /],
    [['stats', '--since', 'forever'], /--since takes a window such as 24h or 7d/],
    [['show', 'refund-agent:demo-refund-1', '--verbose'], /Unknown option '--verbose'/],
  ])('answers bad input %j with a sentence and exit code 2', async (args, message) => {
    const result = await gatehouse(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/"code":|\[\s*\{/);
  });
});
