/**
 * An auto-approved run commits within the workflow task that approved it, so nothing of that task
 * is in history until it completes. Here the worker dies in the middle of that commit, after the
 * target applied the effect (the target is naive: it applies every POST), and another worker takes
 * the run over:
 * - with a policy that now asks a person: asking reviewers could end in a rejection of an action
 *   that ran, or a second run of it, so the run stops in needs_attention and mails its operators
 *   the idempotency key to check;
 * - after an operator cancelled it meanwhile: not "withdrawn" (the action may have run), the same;
 * - on a worker that commits nothing inside tasks (GATEHOUSE_WORKER_LOCAL_COMMITS=0): its regular
 *   commit checks the target first and finds the effect.
 * Nothing is sent twice.
 *
 * Needs `npm run build` (the test spawns `node dist/src/worker/main.js`).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { GatehouseClient } from '../../src/client';
import type { ApprovalState } from '../../src/domain/state';
import { idempotencyKeyFor } from '../../src/domain/ids';
import { startDevInbox, type DevInbox } from '../../src/mail/dev-inbox';
import { commitTries } from '../support/commit-tries';
import { eventually } from '../support/harness';
import { readInbox } from '../support/inbox';
import { startSlowTarget, type SlowTarget } from './support/slow-target';
import { httpProposal, prepareWorkerSetup, type WorkerSetup } from './support/worker-setup';
import { spawnWorker, type WorkerProcess, type WorkerProcessEnv } from './support/worker-process';

let target: SlowTarget;
let inbox: DevInbox;
let connection: Connection;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  target = await startSlowTarget();
  inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
  connection = await Connection.connect({ address: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']! });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await connection?.close();
  await inbox?.close();
  await target?.close();
});

interface KilledMidCommit {
  setup: WorkerSetup;
  env: WorkerProcessEnv;
  id: string;
  workflowId: string;
  handle: WorkflowHandle;
}

/** An auto-approved run whose worker is SIGKILLed after the target applied its effect. */
async function killedMidCommit(): Promise<KilledMidCommit> {
  const setup = prepareWorkerSetup();
  const env = setup.env({
    TEMPORAL_ADDRESS: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!,
    GATEHOUSE_TASK_QUEUE: `first-task-${randomUUID()}`,
    SMTP_URL: inbox.smtpUrl,
    GATEHOUSE_MAILDEV_API: inbox.apiBaseUrl,
  });
  const client = new Client({ connection });
  const gatehouse = await GatehouseClient.connect({ client, taskQueue: env.GATEHOUSE_TASK_QUEUE, agentKey: setup.agentKey });
  const first = spawnWorker(env);
  workers.push(first);
  await first.ready;
  const id = `retry-${randomUUID().slice(0, 8)}`;
  target.script(id, [{ kind: 'hold', applyFirst: true }]);
  const run = await gatehouse.propose(httpProposal(target.url, id, false));
  await target.until(() => target.held(id) > 0, 30_000, 'the auto-approved commit inside the target');
  await first.kill();
  await target.until(() => target.held(id) === 0, 10_000, 'the killed commit connection to close');
  expect(target.effects.get(id)).toBe(1);
  return { setup, env, id, workflowId: run.workflowId, handle: client.workflow.getHandle(run.workflowId) };
}

const postsTo = (id: string) => target.posts.filter((p) => p.resource === id).length;

async function expectLeftToAPerson(killed: KilledMidCommit, why: RegExp): Promise<void> {
  const final = (await killed.handle.result()) as ApprovalState;
  expect(final.status).toBe('needs_attention');
  expect(final.outcomeReason).toMatch(why);
  expect(final.outcomeReason).toContain(idempotencyKeyFor(killed.workflowId, 1));
  expect(final.execution).toBeUndefined();
  expect(target.effects.get(killed.id)).toBe(1);
  expect(postsTo(killed.id)).toBe(1);
  const mail = await eventually(
    async () =>
      (await readInbox(inbox.apiBaseUrl)).find(
        (m) =>
          m.to.includes('erin@test.example') && m.subject.startsWith('[Gatehouse] Needs attention') && m.text.includes(killed.workflowId),
      ),
    30_000,
    'the operators mail',
  );
  expect(mail.text).toContain(idempotencyKeyFor(killed.workflowId, 1));
  const events = (await killed.handle.fetchHistory()).events ?? [];
  expect(events.some((e) => e.workflowTaskTimedOutEventAttributes)).toBe(true);
  expect(await commitTries(killed.handle)).toEqual({ local: 0, activity: 0 });
}

it('stops for a person, and sends nothing again, when the policy changed after a worker died committing an auto-approved run', async () => {
  const killed = await killedMidCommit();
  // The next worker asks a person for this amount (42, auto-approved under the first policy).
  killed.setup.reviewAbove(10);
  workers.push(spawnWorker(killed.env));
  await expectLeftToAPerson(killed, /^the policy now says review, but an earlier attempt/);
  // Nobody was asked to review it.
  const mails = await readInbox(inbox.apiBaseUrl);
  expect(mails.filter((m) => m.subject.startsWith('[Gatehouse] Approval needed') && m.text.includes(killed.workflowId))).toEqual([]);
}, 120_000);

it('does not call a run withdrawn that an operator cancelled after its worker died committing it', async () => {
  const killed = await killedMidCommit();
  await killed.handle.cancel();
  workers.push(spawnWorker(killed.env));
  await expectLeftToAPerson(killed, /^an operator cancelled the run, but an earlier attempt/);
}, 120_000);

it('checks the target first when a worker that commits nothing inside tasks takes over', async () => {
  const killed = await killedMidCommit();
  workers.push(spawnWorker({ ...killed.env, GATEHOUSE_WORKER_LOCAL_COMMITS: '0' }));
  const final = (await killed.handle.result()) as ApprovalState;
  expect(final.status).toBe('succeeded');
  expect(final.execution?.commit).toMatchObject({ verifiedBeforeRetry: true });
  expect(target.effects.get(killed.id)).toBe(1);
  expect(postsTo(killed.id)).toBe(1);
  expect(await commitTries(killed.handle)).toEqual({ local: 0, activity: 1 });
}, 120_000);
