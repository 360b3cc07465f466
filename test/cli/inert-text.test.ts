/**
 * `gatehouse show` and `gatehouse audit` print agent and reviewer text inert (no escape sequence
 * reaches the operator's terminal) and mask a redacted value repeated in the summary or a comment,
 * however it is disguised; the hash-chained log the worker writes masks it too.
 */
import { readFileSync } from 'node:fs';
import { skeleton } from '../../src/evidence/confusables';
import { decideUpdate } from '../../workflows/messages';
import { runCli, type CliResult } from '../support/cli';
import { createHarness, eventually, type Harness } from '../support/harness';

const SECRET = 'PHOTOCASE-4111-7342';
/** Cyrillic look-alikes and a zero-width space. */
const DISGUISED = 'РНОТО\u200BСАЅЕ-4111-7342';
/** Clear screen, set the window title, a one-character CSI (C1) that turns text red, a bell. */
const ESCAPES = '\u001b[2J\u001b]0;owned\u0007\u009b31m';

let h: Harness;
let workflowId: string;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  const proposal = h.proposal('test.edits');
  const params = { ...proposal.params, body: { amount: 42, card: SECRET } };
  const run = await h.gatehouse.propose({ ...proposal, params, summary: `Refund to ${DISGUISED} \u202Eevil` });
  workflowId = run.workflowId;
  await eventually(async () => ((await run.status()).status === 'awaiting_approval' ? true : undefined));
  const decision = await h.decision(workflowId, { id: 'alice', role: 'approver' }, 'approve', {
    comment: `fine${ESCAPES} card ${DISGUISED}\nFAKE LINE`,
  });
  await h.client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [decision] });
  expect((await run.result()).status).toBe('succeeded');
});
afterAll(() => h?.close());

const gatehouse = (...args: string[]) => runCli({ GATEHOUSE_TASK_QUEUE: h.taskQueue, ...h.auditEnv }, ...args);

/** No control character but line feed, no bidi or zero-width character, no disguised secret. */
function expectInert(label: string, result: CliResult): void {
  expect({ label, code: result.code }).toEqual({ label, code: 0 });
  const out = result.stdout;
  expect({ label, control: /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069]/.test(out) }).toEqual({
    label,
    control: false,
  });
  expect({ label, secret: out.includes(SECRET) || skeleton(out).includes(skeleton(SECRET)) }).toEqual({ label, secret: false });
}

describe('agent and reviewer text in the terminal', () => {
  it('gatehouse show prints the comment and summary inert, on one line each, with the secret masked', async () => {
    const shown = await gatehouse('show', workflowId);
    expectInert('show', shown);
    expect(shown.stdout).toContain('summary: Refund to [redacted] evil');
    expect(shown.stdout).toContain('alice (approver) approve: fine [2J ]0;owned 31m card [redacted] FAKE LINE');
    expect(shown.stdout.split('\n').filter((line) => line.startsWith('FAKE LINE'))).toEqual([]);
  });

  it('gatehouse show --json keeps the JSON exact but escapes what a terminal would act on', async () => {
    const shown = await gatehouse('show', workflowId, '--json');
    expectInert('show --json', shown);
    const state = JSON.parse(shown.stdout);
    expect(state.proposal.params.body.card).toBe('[redacted]');
    expect(state.proposal.summary).toBe('Refund to [redacted] \u202Eevil');
    expect(state.decisions[0].comment).toBe(`fine${ESCAPES} card [redacted]\nFAKE LINE`);
  });

  it('gatehouse audit prints the record inert, as text, JSON and JSON lines, with the secret masked', async () => {
    const text = await gatehouse('audit', workflowId);
    expectInert('audit', text);
    expect(text.stdout).toContain('alice (approver) approve: fine [2J ]0;owned 31m card [redacted] FAKE LINE');
    const json = await gatehouse('audit', workflowId, '--json');
    expectInert('audit --json', json);
    const record = JSON.parse(json.stdout);
    expect(record.proposal.summary).toBe('Refund to [redacted] \u202Eevil');
    const jsonl = await gatehouse('audit', '--since', '1h', '--jsonl');
    expectInert('audit --jsonl', jsonl);
    expect(jsonl.stdout).toContain(`${workflowId}:proposed`);
  });

  it('the hash-chained audit log never holds the secret, disguised or not', async () => {
    await eventually(async () => (readFileSync(h.auditLogFile, 'utf8').includes(`${workflowId}:execution`) ? true : undefined));
    const log = readFileSync(h.auditLogFile, 'utf8');
    expect(log).not.toContain(SECRET);
    expect(skeleton(log).includes(skeleton(SECRET))).toBe(false);
    expect((await gatehouse('audit', 'verify')).code).toBe(0);
  });
});
