/** `gatehouse audit`: the record of a run that went through approve-with-edits, redacted, and the hash-chained log. */
import { readFileSync, writeFileSync } from 'node:fs';
import { decideUpdate } from '../../workflows/messages';
import { runCli } from '../support/cli';
import { createHarness, eventually, type Harness } from '../support/harness';

const CARD = '4111111111111111';
let h: Harness;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(() => h?.close());

const gatehouse = (...args: string[]) => runCli({ GATEHOUSE_TASK_QUEUE: h.taskQueue, ...h.auditEnv }, ...args);

describe('gatehouse audit', () => {
  let workflowId: string;

  beforeAll(async () => {
    const proposal = h.proposal('test.edits');
    const params = { ...proposal.params, body: { amount: 100, card: CARD } };
    const run = await h.gatehouse.propose({ ...proposal, params });
    workflowId = run.workflowId;
    await eventually(async () => ((await run.status()).status === 'awaiting_approval' ? true : undefined));
    const handle = h.client.workflow.getHandle(workflowId);
    const edited = { ...params, body: { amount: 80, card: CARD } };
    await handle.executeUpdate(decideUpdate, {
      args: [
        await h.decision(workflowId, { id: 'alice', role: 'approver' }, 'approve_with_edits', {
          editedParams: edited,
          comment: 'goodwill is 80',
        }),
      ],
    });
    expect((await run.result()).status).toBe('succeeded');
  });

  it('prints the full record as JSON with the diff, decisions and execution, and the card redacted', async () => {
    const result = await gatehouse('audit', workflowId, '--json');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(CARD);
    const record = JSON.parse(result.stdout);
    expect(record.policyVersion).toMatch(/^test\.edits\.yaml@/);
    expect(record.proposalHash).toMatch(/^[0-9a-f]{64}$/);
    expect(record.changesFromProposal).toEqual([{ path: 'params.body.amount', before: 100, after: 80 }]);
    expect(record.approvedParams.body).toEqual({ amount: 80, card: '[redacted]' });
    const decisions = record.entries
      .filter((e: { kind: string }) => e.kind === 'decision')
      .map((e: { data: Record<string, unknown> }) => [e.data['reviewer'], e.data['decision'], e.data['round'], e.data['comment']]);
    expect(decisions).toEqual([
      ['alice', 'approve_with_edits', 1, 'goodwill is 80'],
      ['alice', 'approve', 2, 'goodwill is 80'],
    ]);
    const execution = record.entries.find((e: { kind: string }) => e.kind === 'execution');
    expect(execution.data.verification).toEqual({ ok: true, observed: { verifyStatus: 200 } });
    expect(execution.data.executedParams.body.card).toBe('[redacted]');
  });

  it('prints a readable text record', async () => {
    const result = await gatehouse('audit', workflowId);
    expect(result.stdout).toContain('params.body.amount: 100 → 80');
    expect(result.stdout).toContain('alice (approver) approve_with_edits: goodwill is 80');
    expect(result.stdout).not.toContain(CARD);
  });

  it('exports the window as JSON lines', async () => {
    const result = await gatehouse('audit', '--since', '1h', '--jsonl');
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => l.workflowId === workflowId && l.kind === 'execution')).toBe(true);
    expect(result.stdout).not.toContain(CARD);
  });

  it('keeps a hash chain that verifies against the workflow, and notices tampering', async () => {
    await eventually(async () => (readFileSync(h.auditLogFile, 'utf8').includes(`${workflowId}:execution`) ? true : undefined));
    const good = await gatehouse('audit', 'verify');
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('chain intact');
    expect(readFileSync(h.auditLogFile, 'utf8')).not.toContain(CARD);

    const original = readFileSync(h.auditLogFile, 'utf8');
    writeFileSync(h.auditLogFile, original.replace('goodwill is 80', 'goodwill is 90'));
    const tampered = await gatehouse('audit', 'verify');
    expect(tampered.code).toBe(10);
    expect(tampered.stdout).toContain('FINDING chain_broken');
    writeFileSync(h.auditLogFile, original);
  });
});
