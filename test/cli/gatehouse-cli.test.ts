/** The `gatehouse` command as an operator runs it: a real process against the real server. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';
import { createHarness, eventually, type Harness } from '../support/harness';

let h: Harness;
let dir: string;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
});
afterAll(() => h?.close());

const gatehouse = (...args: string[]) => runCli({ GATEHOUSE_TASK_QUEUE: h.taskQueue }, ...args);
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
    expect(workflowId).toMatch(/^http\.request:p-/);

    await eventually(async () => ((await gatehouse('list')).stdout.includes(workflowId) ? true : undefined), 20_000, 'pending list');
    const shown = await gatehouse('show', workflowId);
    expect(shown.stdout).toContain('awaiting_approval');

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
    expect(result.stderr).toContain("params: the proposal's params and evidence are 3.0 MB of canonical JSON; the limit is 512 KB");
    await expect(h.client.workflow.getHandle(`test.single:${proposal.id}`).describe()).rejects.toThrow();
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

  it('answers usage errors with exit code 2 and an unknown run with 3', async () => {
    expect((await operator('alice', 'decide', 'x')).code).toBe(2);
    expect((await gatehouse('frobnicate')).code).toBe(2);
    const missing = await gatehouse('show', 'test.single:does-not-exist');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no approval run');
  });
});
