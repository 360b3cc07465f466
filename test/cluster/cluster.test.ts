/**
 * Gatehouse on a real Temporal cluster: `./temporal-dev.sh cluster up` (frontend, matching,
 * worker and two history services as separate processes, on PostgreSQL), two worker processes
 * on one task queue, reviewed runs proposed and waiting, the worker holding most of them
 * SIGKILLed during the wait, then every run approved: each completes, exactly once. Then one
 * history host is SIGKILLed while runs wait: their approvals and commits go through the other,
 * and `cluster up` restarts the dead host.
 *
 * Opt-in, outside `npm test`: the cluster takes a minute or more to come up on a busy machine
 * (and its first `up` builds the server with Go). Run with `npm run test:cluster`, which sets
 * GATEHOUSE_CLUSTER_TEST=1; needs `npm run build` (the workers are `dist/src/worker/main.js`).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { readChain, verifyChain } from '../../src/audit/hash-chain-log';
import { GatehouseClient } from '../../src/client';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../src/domain/search-attributes';
import type { ApprovalState } from '../../src/domain/state';
import { startDevInbox } from '../../src/mail/dev-inbox';
import { getStateQuery } from '../../workflows/messages';
import { startSlowTarget, type SlowTarget } from '../reliability/support/slow-target';
import { spawnWorker, type WorkerProcess } from '../reliability/support/worker-process';
import { approveWhenWaiting, httpProposal, prepareWorkerSetup, type WorkerSetup } from '../reliability/support/worker-setup';
import { eventually } from '../support/harness';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const ENABLED = process.env['GATEHOUSE_CLUSTER_TEST'] === '1';
// Apart from the dev cluster's defaults (7433, 55433), so the test runs beside one.
const PORT = Number(process.env['GATEHOUSE_CLUSTER_TEST_PORT'] ?? 7633);
const POSTGRES_PORT = PORT + 48_000;
const ADDRESS = `127.0.0.1:${PORT}`;
const REVIEWED_RUNS = 6;

interface Started {
  worker: WorkerProcess;
  auditLog: string;
}

let dir: string;
let upMs: number;
let upOutput: string;
let target: SlowTarget;
let inbox: Awaited<ReturnType<typeof startDevInbox>>;
let setup: WorkerSetup;
let connection: Connection;
let client: Client;
let gatehouse: GatehouseClient;
let taskQueue: string;
const workers: Started[] = [];

async function cluster(command: 'up' | 'down' | 'status'): Promise<string> {
  const { stdout } = await run('bash', [join(ROOT, 'temporal-dev.sh'), 'cluster', command], {
    env: {
      ...process.env,
      TEMPORAL_CLUSTER_DIR: dir,
      TEMPORAL_CLUSTER_PORT: String(PORT),
      TEMPORAL_CLUSTER_POSTGRES_PORT: String(POSTGRES_PORT),
    },
    timeout: 900_000,
  });
  return stdout;
}

function startWorker(name: string): Started {
  const auditLog = join(dir, `audit-${name}.jsonl`);
  const env = setup.env({
    TEMPORAL_ADDRESS: ADDRESS,
    GATEHOUSE_TASK_QUEUE: taskQueue,
    SMTP_URL: inbox.smtpUrl,
    GATEHOUSE_MAILDEV_API: inbox.apiBaseUrl,
  });
  // One audit file per process: appends to one file from two processes are the audit writer's
  // own question, not this test's.
  const started = { worker: spawnWorker({ ...env, GATEHOUSE_AUDIT_LOG: auditLog }), auditLog };
  workers.push(started);
  return started;
}

/** `pid@host` of each worker that ran a workflow task of the run, in history order. */
async function workflowTaskIdentities(handle: WorkflowHandle): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.map((e) => e.workflowTaskStartedEventAttributes?.identity).filter((id): id is string => typeof id === 'string');
}

const describeCluster = ENABLED ? describe : describe.skip;

describeCluster(
  'Gatehouse on a multi-service Temporal cluster on PostgreSQL (opt-in: GATEHOUSE_CLUSTER_TEST=1, npm run test:cluster)',
  () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
      // PostgreSQL runs as an unprivileged user when the test runs as root: it must reach its data.
      chmodSync(dir, 0o755);
      const started = Date.now();
      upOutput = await cluster('up');
      upMs = Date.now() - started;
      process.stderr.write(`cluster up in ${upMs} ms\n${upOutput}`);
      setup = prepareWorkerSetup();
      taskQueue = `cluster-${randomUUID()}`;
      target = await startSlowTarget();
      inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
      connection = await Connection.connect({ address: ADDRESS });
      client = new Client({ connection });
      gatehouse = await GatehouseClient.connect({ client, taskQueue, agentKey: setup.agentKey });
      const pair = [startWorker('a'), startWorker('b')];
      await Promise.all(pair.map((w) => w.worker.ready));
    }, 1_200_000);

    afterAll(async () => {
      await Promise.all(workers.map((w) => w.worker.stop()));
      await connection?.close();
      await inbox?.close();
      await target?.close();
      if (dir) {
        await cluster('down').catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it('runs frontend, matching, worker and two history services as separate processes on loopback', async () => {
      const status = await cluster('status');
      const pids = [...status.matchAll(/^\s+(frontend|history-1|history-2|matching|worker)\s+127\.0\.0\.1:\d+\s+pid (\d+)$/gm)];
      expect(pids.map((m) => m[1]).sort()).toEqual(['frontend', 'history-1', 'history-2', 'matching', 'worker']);
      expect(new Set(pids.map((m) => m[2])).size).toBe(5);
    });

    it("registers the default namespace with every one of Gatehouse's search attributes", async () => {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      const registered = Object.keys(customAttributes ?? {}).filter((name) => name.startsWith('Gatehouse'));
      expect(registered.sort()).toEqual(ALL_SEARCH_ATTRIBUTE_KEYS.map((key) => key.name).sort());
    });

    it('brings an already running cluster "up" again without restarting it', async () => {
      const before = await cluster('status');
      await cluster('up');
      expect(await cluster('status')).toBe(before);
    }, 120_000);

    it('completes every approved run exactly once after the worker holding most of them is killed during the wait', async () => {
      const ids = Array.from({ length: REVIEWED_RUNS }, (_, i) => `cluster-${i}-${randomUUID().slice(0, 8)}`);
      const handles = await Promise.all(
        ids.map(async (id) => client.workflow.getHandle((await gatehouse.propose(httpProposal(target.url, id, true))).workflowId)),
      );
      await Promise.all(
        handles.map((h) =>
          eventually(
            async () => ((await h.query(getStateQuery)).status === 'awaiting_approval' ? true : undefined),
            60_000,
            `${h.workflowId} awaiting approval`,
          ),
        ),
      );
      // The search attributes `cluster up` registered are in the cluster's PostgreSQL visibility.
      const waiting = await eventually(
        async () => {
          const found: string[] = [];
          for await (const w of client.workflow.list({ query: `GatehouseStatus = "awaiting_approval" AND TaskQueue = "${taskQueue}"` })) {
            found.push(w.workflowId);
          }
          return found.length === REVIEWED_RUNS ? found : undefined;
        },
        60_000,
        'the waiting runs in visibility',
      );
      expect(waiting.sort()).toEqual(handles.map((h) => h.workflowId).sort());

      // Kill the worker whose cache holds the most runs, so the kill lands on runs mid-wait.
      const lastIdentity = await Promise.all(handles.map(async (h) => (await workflowTaskIdentities(h)).at(-1)));
      const byPid = (w: Started): number => lastIdentity.filter((id) => id?.startsWith(`${w.worker.pid}@`)).length;
      const [victim, survivor] = byPid(workers[0]!) >= byPid(workers[1]!) ? [workers[0]!, workers[1]!] : [workers[1]!, workers[0]!];
      expect(byPid(victim)).toBeGreaterThan(0);
      await victim.worker.kill();
      const killedAt = Date.now();

      await Promise.all(handles.map((h) => approveWhenWaiting(h, setup, 120_000)));
      const finals = await Promise.all(handles.map((h) => h.result() as Promise<ApprovalState>));
      process.stderr.write(
        `worker killed holding ${byPid(victim)} of ${REVIEWED_RUNS} waiting runs: all committed ${Date.now() - killedAt} ms later\n`,
      );
      expect(finals.map((f) => f.status)).toEqual(ids.map(() => 'succeeded'));
      expect(ids.map((id) => target.effects.get(id) ?? 0)).toEqual(ids.map(() => 1));
      expect(ids.map((id) => target.posts.filter((p) => p.resource === id).length)).toEqual(ids.map(() => 1));

      // The runs the dead worker held were finished by the other one.
      const after = await Promise.all(handles.map((h) => workflowTaskIdentities(h)));
      for (const [i, identities] of after.entries()) {
        if (lastIdentity[i]?.startsWith(`${victim.worker.pid}@`)) expect(identities.at(-1)).toMatch(new RegExp(`^${survivor.worker.pid}@`));
      }
      for (const w of workers) expect(verifyChain(w.auditLog).ok).toBe(true);
      const entries = workers.flatMap((w) => readChain(w.auditLog).map((l) => l.entryId));
      expect(entries.length).toBeGreaterThan(0);
      expect(new Set(entries).size).toBe(entries.length);
    }, 600_000);

    it('completes runs approved while a history host is dead, and "up" brings the host back', async () => {
      const ids = Array.from({ length: 3 }, (_, i) => `cluster-h-${i}-${randomUUID().slice(0, 8)}`);
      const handles = await Promise.all(
        ids.map(async (id) => client.workflow.getHandle((await gatehouse.propose(httpProposal(target.url, id, true))).workflowId)),
      );
      await Promise.all(
        handles.map((h) =>
          eventually(
            async () => ((await h.query(getStateQuery)).status === 'awaiting_approval' ? true : undefined),
            60_000,
            `${h.workflowId} awaiting approval`,
          ),
        ),
      );
      const pid = Number(/^\s+history-2\s+\S+\s+pid (\d+)$/m.exec(await cluster('status'))?.[1]);
      expect(pid).toBeGreaterThan(0);
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();

      // The shards history-2 owned move to history-1 once membership drops it.
      await Promise.all(handles.map((h) => approveWhenWaiting(h, setup, 180_000)));
      const finals = await Promise.all(handles.map((h) => h.result() as Promise<ApprovalState>));
      process.stderr.write(`history host killed: 3 approved runs completed ${Date.now() - killedAt} ms later\n`);
      expect(finals.map((f) => f.status)).toEqual(ids.map(() => 'succeeded'));
      expect(ids.map((id) => target.effects.get(id) ?? 0)).toEqual(ids.map(() => 1));

      await expect(cluster('status')).rejects.toThrow();
      await cluster('up');
      const restarted = Number(/^\s+history-2\s+\S+\s+pid (\d+)$/m.exec(await cluster('status'))?.[1]);
      expect(restarted).toBeGreaterThan(0);
      expect(restarted).not.toBe(pid);
    }, 600_000);

    it('commits an auto-approved run on the surviving worker', async () => {
      const id = `cluster-auto-${randomUUID().slice(0, 8)}`;
      const proposed = await gatehouse.propose(httpProposal(target.url, id, false));
      const final = (await client.workflow.getHandle(proposed.workflowId).result()) as ApprovalState;
      expect(final.status).toBe('succeeded');
      expect(target.effects.get(id)).toBe(1);
    }, 120_000);
  },
);
