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

const gatehouse = (...args: string[]) => runCli({ GATEHOUSE_TASK_QUEUE: h.taskQueue, GATEHOUSE_DECISION_SIGNING_KEY: h.signingKeySpec }, ...args);

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

    const refused = await gatehouse('decide', workflowId, '--as', 'dave', '--role', 'approver', '--approve');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('not_eligible');

    const decided = await gatehouse('decide', workflowId, '--as', 'alice', '--role', 'approver', '--approve', '--comment', 'fine');
    expect(decided.code).toBe(0);
    expect(decided.stdout).toContain('approved');
    const final = await (await h.gatehouse.getProposal(workflowId)).result();
    expect(final.status).toBe('succeeded');
    expect(final.decisions[0]).toMatchObject({ reviewerId: 'alice', comment: 'fine' });
  });

  it('refuses an invalid proposal file with every bad field and exit code 2', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...h.proposal('test.single'), summary: '', agent: {} }));
    const result = await gatehouse('propose', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('summary');
    expect(result.stderr).toContain('agent.id');
  });

  it('answers usage errors with exit code 2 and an unknown run with 3', async () => {
    expect((await gatehouse('decide', 'x')).code).toBe(2);
    expect((await gatehouse('frobnicate')).code).toBe(2);
    const missing = await gatehouse('show', 'test.single:does-not-exist');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no approval run');
  });
});
