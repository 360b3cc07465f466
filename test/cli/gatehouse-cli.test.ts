/** The `gatehouse` command as an operator runs it: a real process against the real server. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { builtInActionTypes } from '../../src/actions/registry';
import { loadAgentRegistry } from '../../src/policy/agents';
import { runCli } from '../support/cli';
import { createHarness, eventually, type Harness } from '../support/harness';

const EXAMPLES = resolve(__dirname, '../../examples');
let h: Harness;
let dir: string;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
});
afterAll(() => h?.close());

const gatehouse = (...args: string[]) => runCli({ GATEHOUSE_TASK_QUEUE: h.taskQueue, GATEHOUSE_AGENT_KEY: h.agentKeySpec }, ...args);
const keyless = (...args: string[]) => runCli({ GATEHOUSE_TASK_QUEUE: h.taskQueue }, ...args);
/** The CLI as the operator `person` runs it, with their own key. */
const operator = (person: string, ...args: string[]) =>
  runCli({ GATEHOUSE_TASK_QUEUE: h.taskQueue, GATEHOUSE_OPERATOR_KEY: h.operatorKeySpecs[person]! }, ...args);

describe('gatehouse CLI', () => {
  it('proposes from a JSON file, lists it as pending, shows it and approves it', async () => {
    const file = join(dir, 'proposal.json');
    writeFileSync(file, JSON.stringify(h.proposal('http.request')));
    const proposed = await gatehouse('propose', file);
    expect(proposed.code).toBe(0);
    const workflowId = proposed.stdout.trim();
    expect(workflowId).toMatch(/^agent-7:p-/);

    await eventually(async () => ((await gatehouse('list')).stdout.includes(workflowId) ? true : undefined), 20_000, 'pending list');
    const shown = await gatehouse('show', workflowId);
    expect(shown.stdout).toContain('awaiting_approval');
    expect(shown.stdout).toContain('requested by: peter (asserted by agent agent-7, key agent-test)');

    const refused = await operator('dave', 'decide', workflowId, '--as', 'dave', '--role', 'approver', '--approve');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('not_eligible');
    // An operator's key decides as its owner only: dave cannot decide as alice, nor the decision
    // service's key (which the CLI no longer takes) as anyone.
    const impersonated = await operator('dave', 'decide', workflowId, '--as', 'alice', '--role', 'approver', '--approve');
    expect(impersonated.code).toBe(4);
    expect(impersonated.stderr).toContain('bad_signature');
    const serviceKey = await runCli(
      { GATEHOUSE_TASK_QUEUE: h.taskQueue, GATEHOUSE_DECISION_SIGNING_KEY: h.signingKeySpec },
      'decide',
      workflowId,
      '--as',
      'alice',
      '--role',
      'approver',
      '--approve',
    );
    expect(serviceKey.code).toBe(2);
    expect(serviceKey.stderr).toContain('GATEHOUSE_OPERATOR_KEY');

    const decided = await operator('alice', 'decide', workflowId, '--as', 'alice', '--role', 'approver', '--approve', '--comment', 'fine');
    expect(decided.code).toBe(0);
    expect(decided.stdout).toContain('approved');
    const final = await (await h.gatehouse.getProposal(workflowId)).result();
    expect(final.status).toBe('succeeded');
    expect(final.decisions[0]).toMatchObject({ reviewerId: 'alice', comment: 'fine', channel: 'operator' });
  });

  it('refuses an invalid proposal file with every bad field and exit code 2', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...h.proposal('test.single'), summary: '', agent: {} }));
    const result = await gatehouse('propose', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('summary');
    expect(result.stderr).toContain('agent.id');
  });

  it('refuses a proposal file over the size limit with the limit named and exit code 2', async () => {
    const file = join(dir, 'big.json');
    const proposal = h.proposal('test.single');
    writeFileSync(file, JSON.stringify({ ...proposal, params: { ...proposal.params, body: { note: 'x'.repeat(3 * 1024 * 1024) } } }));
    const result = await gatehouse('propose', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "params: the proposal's params and evidence are 3.0 MB of canonical JSON; the limit is 512 KB (pass large evidence by reference: evidence.attachments with a URL and its SHA-256)",
    );
    await expect(h.client.workflow.getHandle(`agent-7:${proposal.id}`).describe()).rejects.toThrow();
  });

  it('cancels a waiting run as an operator: withdrawn, nothing executed', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await eventually(async () => ((await run.status()).status === 'awaiting_approval' ? true : undefined));
    const result = await gatehouse('cancel', run.workflowId);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`${run.workflowId}: withdrawn`);
    expect((await run.result()).transitions.at(-1)?.event).toBe('cancelled');
    expect((await gatehouse('cancel', 'test.single:does-not-exist')).code).toBe(3);
  });

  it('signs a withdrawal with the agent key, and refuses to propose or withdraw without one', async () => {
    const file = join(dir, 'withdraw-me.json');
    writeFileSync(file, JSON.stringify(h.proposal('http.request')));
    const unsigned = await keyless('propose', file);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain('GATEHOUSE_AGENT_KEY');
    const proposed = await gatehouse('propose', file);
    expect(proposed.stderr).toBe('');
    const workflowId = proposed.stdout.trim();
    await eventually(
      async () => ((await (await h.gatehouse.getProposal(workflowId)).status()).status === 'awaiting_approval' ? true : undefined),
      20_000,
      `${workflowId} awaiting`,
    );
    expect((await keyless('withdraw', workflowId)).code).toBe(2);
    const asSomeoneElse = await gatehouse('withdraw', workflowId, '--by', 'mallory');
    expect(asSomeoneElse.code).toBe(4);
    expect(asSomeoneElse.stderr).toContain('mallory may not withdraw');
    const withdrawn = await gatehouse('withdraw', workflowId, '--reason', 'not needed');
    expect(withdrawn.stdout).toContain('withdrawn');
    expect((await (await h.gatehouse.getProposal(workflowId)).result()).outcomeReason).toBe(
      'withdrawn by agent-7 (signed with agent key agent-test): not needed',
    );
  });

  it('makes a dev agent key and registry with which the demo signs every sample as its own agent', async () => {
    const agentsFile = join(dir, 'agents.yaml');
    const made = await runCli({}, 'keys', '--agent-only', '--agents-file', agentsFile, '--examples', EXAMPLES);
    expect(made.code).toBe(0);
    const env = Object.fromEntries(
      made.stdout
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(Object.keys(env).sort()).toEqual(['GATEHOUSE_AGENTS_FILE', 'GATEHOUSE_AGENT_KEY']);
    const registry = loadAgentRegistry(env['GATEHOUSE_AGENTS_FILE']!, builtInActionTypes().names());
    expect([...registry.keys()]).toEqual(expect.arrayContaining(['refund-agent', 'support-agent', 'data-agent']));
    for (const agent of registry.values()) h.agents.set(agent.id, agent);

    const demo = await runCli({ GATEHOUSE_TASK_QUEUE: h.taskQueue, GATEHOUSE_AGENT_KEY: env['GATEHOUSE_AGENT_KEY']! }, 'demo', EXAMPLES);
    expect(demo.code).toBe(0);
    const refund = /refund\.json\t(\S+)/.exec(demo.stdout)?.[1];
    expect(refund).toMatch(/^refund-agent:/);
    // The fixture policies review refunds: authenticated and in scope, the run waits for a person.
    const state = await eventually(
      async () => {
        const s = await (await h.gatehouse.getProposal(refund!)).status();
        return s.evaluation ? s : undefined;
      },
      20_000,
      'refund evaluated',
    );
    expect(state.evaluation).toMatchObject({ outcome: 'review', requesterAssertedBy: 'refund-agent', agentKeyId: 'agent1' });
  });

  it('answers usage errors with exit code 2 and an unknown run with 3', async () => {
    expect((await operator('alice', 'decide', 'x')).code).toBe(2);
    expect((await gatehouse('frobnicate')).code).toBe(2);
    const missing = await gatehouse('show', 'agent-7:does-not-exist');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no approval run');
  });
});
