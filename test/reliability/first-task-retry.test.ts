/**
 * An auto-approved run commits within the workflow task that approved it, so nothing of that task
 * is in history until it completes. Here the worker dies in the middle of that commit, after the
 * target applied the effect, and the policy changes before another worker takes the run over: it
 * would now ask a person. Asking reviewers could end in a rejection of an action that ran, or a
 * second run of it, so the run stops in needs_attention and mails its operators the idempotency
 * key to check; nothing is sent again (the target is naive: it applies every POST).
 *
 * Needs `npm run build` (the test spawns `node dist/src/worker/main.js`).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { GatehouseClient } from '../../src/client';
import type { ApprovalState } from '../../src/domain/state';
import { idempotencyKeyFor } from '../../src/domain/ids';
import { startDevInbox, type DevInbox } from '../../src/mail/dev-inbox';
import { eventually } from '../support/harness';
import { readInbox } from '../support/inbox';
import { startSlowTarget, type SlowTarget } from './support/slow-target';
import { httpProposal, prepareWorkerSetup } from './support/worker-setup';
import { spawnWorker, type WorkerProcess } from './support/worker-process';

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

it('stops for a person, and sends nothing again, when the policy changed after a worker died committing an auto-approved run', async () => {
  const setup = prepareWorkerSetup();
  const taskQueue = `first-task-${randomUUID()}`;
  const env = setup.env({
    TEMPORAL_ADDRESS: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!,
    GATEHOUSE_TASK_QUEUE: taskQueue,
    SMTP_URL: inbox.smtpUrl,
    GATEHOUSE_MAILDEV_API: inbox.apiBaseUrl,
  });
  const client = new Client({ connection });
  const gatehouse = await GatehouseClient.connect({ client, taskQueue, agentKey: setup.agentKey });
  const first = spawnWorker(env);
  workers.push(first);
  await first.ready;

  const id = `retry-${randomUUID().slice(0, 8)}`;
  target.script(id, [{ kind: 'hold', applyFirst: true }]);
  const run = await gatehouse.propose(httpProposal(target.url, id, false));
  await target.until(() => target.held(id) > 0, 30_000, 'the auto-approved commit inside the target');
  await first.kill();
  await target.until(() => target.held() === 0, 10_000, 'the killed commit connection to close');
  expect(target.effects.get(id)).toBe(1);

  // The next worker asks a person for this amount (42, auto-approved under the first policy).
  setup.reviewAbove(10);
  workers.push(spawnWorker(env));
  const handle = client.workflow.getHandle(run.workflowId);
  const final = (await handle.result()) as ApprovalState;

  expect(final.status).toBe('needs_attention');
  expect(final.evaluation?.outcome).toBe('review');
  expect(final.outcomeReason).toContain(idempotencyKeyFor(run.workflowId, 1));
  expect(final.execution).toBeUndefined();
  expect(target.effects.get(id)).toBe(1);
  expect(target.posts.filter((p) => p.resource === id)).toHaveLength(1);
  const warning = await eventually(
    async () =>
      (await readInbox(inbox.apiBaseUrl)).find(
        (m) => m.to.includes('erin@test.example') && m.subject.startsWith('[Gatehouse] Needs attention'),
      ),
    30_000,
    'the operators mail',
  );
  expect(warning.text).toContain(idempotencyKeyFor(run.workflowId, 1));
  // Nobody was asked to review it, and nothing else was scheduled to commit it.
  const mails = await readInbox(inbox.apiBaseUrl);
  expect(mails.filter((m) => m.subject.startsWith('[Gatehouse] Approval needed'))).toEqual([]);
  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.some((e) => e.workflowTaskTimedOutEventAttributes)).toBe(true);
  expect(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'commitAction')).toEqual([]);
}, 120_000);
