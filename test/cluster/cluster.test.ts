/**
 * Gatehouse on a real Temporal cluster: `./temporal-dev.sh cluster up` (frontend, matching,
 * worker and two history services as separate processes, on PostgreSQL, and the Web UI), two
 * worker processes on one task queue and two decision services behind a round-robin proxy.
 * Reviewed runs proposed and waiting, the worker holding most of them SIGKILLed during the wait,
 * then every run approved: each completes, exactly once. A worker SIGKILLed while its commit is
 * in flight: the other one finishes it without a second effect. A decision service SIGKILLed
 * with POSTs in flight: the client retries through the proxy and every decision lands once. Then
 * one history host is SIGKILLed while runs wait: their approvals and commits go through the
 * other, and `cluster up` restarts the dead host. Every worker's audit chain verifies.
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
import { createRoundRobin, type RoundRobin } from '../../src/dev/round-robin';
import { issueLinkToken } from '../../src/links/link-issuer';
import { parseLinkKeyring } from '../../src/links/keyring';
import { newNonce } from '../../src/links/token';
import { freePort } from '../../src/util/free-port';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../src/domain/search-attributes';
import type { ApprovalState } from '../../src/domain/state';
import { startDevInbox } from '../../src/mail/dev-inbox';
import { getStateQuery } from '../../workflows/messages';
import { spawnHttpService, type HttpProcess } from '../reliability/support/http-process';
import { getPage, postForm } from '../http/service';
import { startSlowTarget, type SlowTarget } from '../reliability/support/slow-target';
import { spawnWorker, type WorkerProcess } from '../reliability/support/worker-process';
import { approveWhenWaiting, httpProposal, prepareWorkerSetup, type WorkerSetup } from '../reliability/support/worker-setup';
import { eventually } from '../support/harness';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const MODE = process.env['GATEHOUSE_CLUSTER_TEST'];
const ENABLED = MODE === '1' || MODE === 'short';
/**
 * `short` leaves out the two worker kills, whose recovery waits out Temporal's timeouts (about
 * 30 s each: the dead worker's sticky queue, the commit's heartbeat); the rest runs in both modes.
 */
const FULL = MODE === '1';
const itFull = (name: string, fn: () => Promise<void>, timeout: number): void => {
  if (FULL) it(name, fn, timeout);
};
// Apart from the dev cluster's defaults (7433, 55433), so the test runs beside one.
const PORT = Number(process.env['GATEHOUSE_CLUSTER_TEST_PORT'] ?? 7633);
const POSTGRES_PORT = PORT + 48_000;
const ADDRESS = `127.0.0.1:${PORT}`;
const REVIEWED_RUNS = 6;

interface Started {
  worker: WorkerProcess;
  auditLog: string;
  killed?: boolean;
}

async function killWorker(w: Started): Promise<void> {
  w.killed = true;
  await w.worker.kill();
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
const services: HttpProcess[] = [];
let proxy: RoundRobin;
let proxyUrl: string;

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

function startDecisionService(port: number): HttpProcess {
  const service = spawnHttpService({
    TEMPORAL_ADDRESS: ADDRESS,
    GATEHOUSE_HTTP_PORT: String(port),
    GATEHOUSE_LINK_KEYS: setup.linkKeys,
    GATEHOUSE_DECISION_SIGNING_KEY: setup.decisionSigningKey,
    GATEHOUSE_PUBLIC_URL: proxyUrl,
    // The proxy passes the client's address on, so the per-IP rate limit sees reviewers.
    GATEHOUSE_TRUST_PROXY: 'loopback',
    // Long enough that a POST is still waiting for the (stopped) workers when its service is killed.
    GATEHOUSE_DECISION_TIMEOUT_MS: '60000',
  });
  services.push(service);
  return service;
}

/** The reviewer's mailed link, minted as the notify activity does (same link keys, same grant key). */
function approvalLink(wf: string, state: ApprovalState): { url: string; body: string } {
  const token = issueLinkToken(
    { wf, round: state.round, sub: 'alice', role: 'approver', exp: Math.floor(Date.now() / 1000) + 3_600, nonce: newNonce() },
    { keyring: parseLinkKeyring(setup.linkKeys), grantSigner: setup.grantSigner },
  );
  return { url: `${proxyUrl}/api/decisions/${token}`, body: JSON.stringify({ kind: 'approve', paramsHash: state.paramsHash }) };
}

/**
 * A client that retries what the proxy cannot: a 502 (a service died holding the request) or a
 * dropped connection. Safe for decisions: a retried POST carries the link's nonce, so the same
 * Update id, and Temporal answers it once.
 */
async function postWithRetry(link: { url: string; body: string }): Promise<{ status: number; body: string; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    const answer = await fetch(link.url, { method: 'POST', body: link.body, headers: { 'content-type': 'application/json' } }).then(
      async (r) => ({ status: r.status, body: await r.text() }),
      (err: unknown) => ({ status: 0, body: String(err) }),
    );
    if ((answer.status !== 502 && answer.status !== 0) || attempt >= 10) return { ...answer, attempts: attempt };
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function proposeWaiting(prefix: string, count: number): Promise<WorkflowHandle[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}-${randomUUID().slice(0, 8)}`);
  const handles = await Promise.all(
    ids.map(async (id) => client.workflow.getHandle((await gatehouse.propose(httpProposal(target.url, id, true))).workflowId)),
  );
  await Promise.all(handles.map((h) => waitingState(h)));
  return handles;
}

function waitingState(h: WorkflowHandle): Promise<ApprovalState> {
  return eventually(
    async () => {
      const s = await h.query(getStateQuery);
      return s.status === 'awaiting_approval' ? s : undefined;
    },
    60_000,
    `${h.workflowId} awaiting approval`,
  );
}

/** Two workers again: a killed one is replaced, as a supervisor would. */
async function twoLiveWorkers(): Promise<Started[]> {
  let live = workers.filter((w) => !w.killed);
  while (live.length < 2) {
    const w = startWorker(`w${workers.length + 1}`);
    await w.worker.ready;
    live = [...live, w];
  }
  return live;
}

const proposalIdOf = (h: WorkflowHandle): string => h.workflowId.slice(h.workflowId.indexOf(':') + 1);

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
      const ports = [await freePort(), await freePort()];
      proxyUrl = `http://127.0.0.1:${await freePort()}`;
      proxy = createRoundRobin({ upstreams: ports.map((p) => `http://127.0.0.1:${p}`) });
      await new Promise<void>((r) => proxy.server.listen(Number(new URL(proxyUrl).port), '127.0.0.1', r));
      await Promise.all(ports.map((port) => startDecisionService(port).ready));
    }, 1_200_000);

    afterAll(async () => {
      await Promise.all(workers.map((w) => w.worker.stop()));
      await Promise.all(services.map((s) => s.stop()));
      if (proxy) await new Promise((r) => proxy.server.close(r));
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

    it('serves the Temporal Web UI on the URL "up" prints, reading the cluster', async () => {
      const ui = /^\s+Web UI\s+(http:\S+)/m.exec(upOutput)?.[1];
      expect(ui).toBeDefined();
      expect((await fetch(ui!)).status).toBe(200);
      const { namespaces } = (await (await fetch(`${ui}/api/v1/namespaces`)).json()) as {
        namespaces: { namespaceInfo: { name: string } }[];
      };
      expect(namespaces.map((n) => n.namespaceInfo.name)).toContain('default');
    });

    it('brings an already running cluster "up" again without restarting it', async () => {
      const before = await cluster('status');
      await cluster('up');
      expect(await cluster('status')).toBe(before);
    }, 120_000);

    itFull(
      'completes every approved run exactly once after the worker holding most of them is killed during the wait',
      async () => {
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
        await killWorker(victim);
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
          if (lastIdentity[i]?.startsWith(`${victim.worker.pid}@`))
            expect(identities.at(-1)).toMatch(new RegExp(`^${survivor.worker.pid}@`));
        }
        for (const w of workers) expect(verifyChain(w.auditLog).ok).toBe(true);
        const entries = workers.flatMap((w) => readChain(w.auditLog).map((l) => l.entryId));
        expect(entries.length).toBeGreaterThan(0);
        expect(new Set(entries).size).toBe(entries.length);
      },
      600_000,
    );

    itFull(
      'completes exactly once a run whose worker is SIGKILLed while its commit is in flight',
      async () => {
        await twoLiveWorkers();
        const [handle] = await proposeWaiting('cluster-commit', 1);
        const id = proposalIdOf(handle!);
        // The target applies the effect and holds the answer: the kill lands after the effect.
        target.script(id, [{ kind: 'hold', applyFirst: true }]);
        await approveWhenWaiting(handle!, setup);
        await target.until(() => target.held(id) === 1, 60_000, `${id}'s commit at the target`);
        const { raw } = await handle!.describe();
        const commit = raw.pendingActivities?.find((a) => a.activityType?.name === 'commitAction');
        const holder = workers.find((w) => commit?.lastWorkerIdentity?.startsWith(`${w.worker.pid}@`));
        expect(holder).toBeDefined();
        await killWorker(holder!);
        const killedAt = Date.now();

        const final = (await handle!.result()) as ApprovalState;
        process.stderr.write(`worker killed mid-commit: the run succeeded ${Date.now() - killedAt} ms later on the other worker\n`);
        expect(final.status).toBe('succeeded');
        // Check before retry: the effect the killed attempt applied is found, not applied again.
        expect(target.effects.get(id)).toBe(1);
        expect(target.posts.filter((p) => p.resource === id)).toHaveLength(1);
      },
      300_000,
    );

    it('decides from a page one decision service served with a form POST the round-robin sends to the other', async () => {
      const [handle] = await proposeWaiting('cluster-page', 1);
      const { url } = approvalLink(handle!.workflowId, await waitingState(handle!));
      const pageUrl = url.replace('/api/decisions/', '/d/');
      const forwarded = (): number[] => proxy.stats().map((st) => st.forwarded);
      const before = forwarded();
      const page = await getPage(pageUrl);
      expect(page.status).toBe(200);
      const servedPage = forwarded().findIndex((n, i) => n > before[i]!);
      // The CSRF cookie and field are derived from the shared link key: any replica accepts them.
      const posted = await postForm(pageUrl, { kind: 'approve', paramsHash: page.paramsHash!, csrf: page.csrf! }, page.cookie);
      const tookPost = forwarded().findIndex((n, i) => n > before[i]! + (i === servedPage ? 1 : 0));
      expect(posted.status).toBe(200);
      expect(posted.body).toContain('your approval is recorded');
      expect(new Set([servedPage, tookPost])).toEqual(new Set([0, 1]));
      expect(((await handle!.result()) as ApprovalState).status).toBe('succeeded');
    }, 120_000);

    it('lands every decision exactly once when a decision service is SIGKILLed with POSTs in flight', async () => {
      const live = await twoLiveWorkers();
      const handles = await proposeWaiting('cluster-post', 4);
      const links = await Promise.all(handles.map(async (h) => approvalLink(h.workflowId, await waitingState(h))));
      // Stopped workers answer no Update, so each POST waits in its service until the kill.
      for (const w of live) process.kill(w.worker.pid, 'SIGSTOP');
      let answers: Promise<Awaited<ReturnType<typeof postWithRetry>>[]>;
      try {
        answers = Promise.all(links.map((l) => postWithRetry(l)));
        await eventually(
          async () => (proxy.stats().every((s) => s.inFlight === 2) ? true : undefined),
          30_000,
          'two POSTs in flight at each decision service',
        );
        await services[0]!.kill();
      } finally {
        for (const w of live) process.kill(w.worker.pid, 'SIGCONT');
      }
      const settled = await answers;
      process.stderr.write(`decision service killed mid-POST: attempts per POST ${settled.map((a) => a.attempts).join(', ')}\n`);
      expect(settled.map((a) => a.status)).toEqual(links.map(() => 200));
      expect(settled.every((a) => /"(applied|queued)":true/.test(a.body))).toBe(true);
      // The two POSTs the killed service held were retried, through the proxy, at the other one.
      expect(settled.filter((a) => a.attempts > 1)).toHaveLength(2);
      expect(proxy.stats()[0]!.failedMidRequest).toBe(2);

      const finals = await Promise.all(handles.map((h) => h.result() as Promise<ApprovalState>));
      expect(finals.map((f) => f.status)).toEqual(handles.map(() => 'succeeded'));
      // No decision lost, none counted twice: one approval from alice per run.
      expect(finals.map((f) => f.decisions.filter((d) => d.kind === 'approve').length)).toEqual(handles.map(() => 1));
      const ids = handles.map(proposalIdOf);
      expect(ids.map((id) => target.effects.get(id) ?? 0)).toEqual(ids.map(() => 1));
      for (const w of workers) expect(verifyChain(w.auditLog).ok).toBe(true);
      const entries = workers.flatMap((w) => readChain(w.auditLog).map((l) => l.entryId));
      expect(new Set(entries).size).toBe(entries.length);
    }, 300_000);

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
