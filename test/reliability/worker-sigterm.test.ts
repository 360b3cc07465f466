/**
 * SIGTERM drains the worker process: /readyz turns 503 first, an activity in flight finishes
 * within the grace period (or, past it, is handed back and retried by the next worker), the
 * process exits 0, and every run completes exactly once.
 *
 * Needs `npm run build` (the test spawns `node dist/src/worker/main.js`).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { GatehouseClient } from '../../src/client';
import { startDevInbox } from '../../src/mail/dev-inbox';
import type { ApprovalState } from '../../src/domain/state';
import { eventually } from '../support/harness';
import { startSlowTarget, type SlowTarget } from './support/slow-target';
import { httpProposal, prepareWorkerSetup, type WorkerSetup } from './support/worker-setup';
import { spawnWorker, type WorkerProcess, type WorkerProcessEnv } from './support/worker-process';

let setup: WorkerSetup;
let target: SlowTarget;
let inbox: Awaited<ReturnType<typeof startDevInbox>>;
let connection: Connection;
let client: Client;
const workers: WorkerProcess[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function readiness(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
}

beforeAll(async () => {
  setup = prepareWorkerSetup();
  target = await startSlowTarget();
  inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
  connection = await Connection.connect({ address: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']! });
  client = new Client({ connection });
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await connection?.close();
  await target?.close();
  await inbox?.close();
});

async function scenario(graceMs: number): Promise<{ taskQueue: string; env: () => WorkerProcessEnv; start: () => Promise<WorkerProcess> }> {
  const taskQueue = `sigterm-${randomUUID()}`;
  const base = setup.env({
    TEMPORAL_ADDRESS: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!,
    GATEHOUSE_TASK_QUEUE: taskQueue,
    SMTP_URL: inbox.smtpUrl,
    GATEHOUSE_MAILDEV_API: inbox.apiBaseUrl,
  });
  const env = (): WorkerProcessEnv => ({ ...base, GATEHOUSE_WORKER_SHUTDOWN_GRACE_MS: String(graceMs) });
  const start = async (): Promise<WorkerProcess> => {
    const worker = spawnWorker(env());
    workers.push(worker);
    await worker.ready;
    return worker;
  };
  return { taskQueue, env, start };
}

async function finalState(workflowId: string): Promise<ApprovalState> {
  return (await client.workflow.getHandle(workflowId).result()) as ApprovalState;
}

describe('worker SIGTERM', () => {
  it('turns /readyz 503 first, lets the commit in flight finish, exits 0; the run completes once', async () => {
    const { taskQueue, env } = await scenario(30_000);
    const healthPort = await freePort();
    const worker = spawnWorker({ ...env(), GATEHOUSE_WORKER_HEALTH_ADDRESS: `127.0.0.1:${healthPort}` });
    workers.push(worker);
    await worker.ready;
    await eventually(async () => ((await readiness(healthPort)) === 200 ? true : undefined), 10_000, 'worker ready');

    const id = `drain-${randomUUID().slice(0, 8)}`;
    target.script(id, [{ kind: 'hold', applyFirst: false }]);
    const gatehouse = await GatehouseClient.connect({ client, taskQueue, agentKey: setup.agentKey });
    const run = await gatehouse.propose(httpProposal(target.url, id, false));
    await target.until(() => target.held(id) > 0, 30_000, 'the commit to reach the target');

    const stopped = worker.stop();
    await eventually(async () => ((await readiness(healthPort)) === 503 ? true : undefined), 5_000, '/readyz 503');
    // Still draining: the commit is in flight, the process has not exited.
    expect(target.held(id)).toBe(1);
    target.releaseAll();
    await stopped;
    expect(await worker.exitCode).toBe(0);

    // The finished commit's result is recorded; the next worker only has to close the run.
    const next = spawnWorker(env());
    workers.push(next);
    const final = await finalState(run.workflowId);
    expect(final.status).toBe('succeeded');
    expect(target.posts.filter((p) => p.resource === id)).toHaveLength(1);
    expect(target.effects.get(id)).toBe(1);
  }, 120_000);

  it('hands a commit still running after the grace period back: the next worker retries it, one effect', async () => {
    const { taskQueue, start } = await scenario(1_000);
    const worker = await start();
    const id = `handback-${randomUUID().slice(0, 8)}`;
    target.script(id, [{ kind: 'hold', applyFirst: false }]);
    const gatehouse = await GatehouseClient.connect({ client, taskQueue, agentKey: setup.agentKey });
    const run = await gatehouse.propose(httpProposal(target.url, id, false));
    await target.until(() => target.held(id) > 0, 30_000, 'the commit to reach the target');

    await worker.stop();
    expect(await worker.exitCode).toBe(0);
    // The cancelled attempt's connection is gone, so the held POST applied nothing.
    await target.until(() => target.held(id) === 0, 10_000, 'the cancelled attempt to let go');
    expect(target.effects.get(id) ?? 0).toBe(0);

    await start();
    const final = await finalState(run.workflowId);
    expect(final.status).toBe('succeeded');
    expect(target.posts.filter((p) => p.resource === id).length).toBeGreaterThanOrEqual(2);
    expect(target.effects.get(id)).toBe(1);
  }, 180_000);
});
