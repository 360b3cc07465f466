/**
 * Gatehouse on a real Temporal cluster, brought up the way a newcomer does it: one
 * `./temporal-dev.sh cluster up` starts frontend, matching, worker and two history services as
 * separate processes on PostgreSQL, the Web UI, and Gatehouse on it: two worker processes on one
 * task queue and two decision services behind the round-robin proxy (with the mail inbox and the
 * dev targets). The test kills what that command started, by the pids `cluster status` reports:
 * the worker holding most waiting runs during the wait (every run completes once, on the other
 * worker; `cluster up` starts a new one), a decision service with POSTs in flight (the client
 * retries through the proxy, every decision lands once), a history host while runs wait (their
 * approvals and commits go through the other; `cluster up` brings it back). Every worker's audit
 * chain verifies with the keys the processes ran with.
 *
 * In `npm test` when the cluster's binaries are built (`npm run temporal:cluster-binaries`, which
 * the CI's pretest runs) in its short form, the kills above; GATEHOUSE_CLUSTER_TEST=1
 * (`npm run test:cluster`) adds a worker killed while its commit is in flight and the re-`up` of a
 * running cluster; GATEHOUSE_CLUSTER_TEST=0 leaves it out. Needs `npm run build` (the processes
 * run `dist/`).
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { readChain, verifyChain } from '../../src/audit/hash-chain-log';
import { GatehouseClient } from '../../src/client';
import { STATS_PATH, type UpstreamStats } from '../../src/dev/round-robin';
import { issueLinkToken } from '../../src/links/link-issuer';
import { parseLinkKeyring } from '../../src/links/keyring';
import { newNonce } from '../../src/links/token';
import { canonicalJson } from '../../src/domain/canonical-hash';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../src/domain/search-attributes';
import type { ApprovalState } from '../../src/domain/state';
import { dataConverterFor } from '../../src/temporal/payload-codec';
import { getStateQuery } from '../../workflows/messages';
import { getPage, postForm } from '../http/service';
import { startSlowTarget, type SlowTarget } from '../reliability/support/slow-target';
import { approveWhenWaiting, httpProposal, prepareWorkerSetup, type WorkerSetup } from '../reliability/support/worker-setup';
import { eventually } from '../support/harness';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
/** `cluster up` reads the PostgreSQL schema from Go's module cache. */
const hasGo = (): boolean => spawnSync('go', ['version']).status === 0;
const BINARIES = ['temporal-server', 'temporal-sql-tool', 'temporal-ui-server', 'temporal'].map((b) => join(ROOT, '.tools/bin', b));
/**
 * `1`: everything; `short` (also the default when the cluster's binaries are built): one kill of
 * each kind, leaving out the worker killed mid-commit (its recovery waits out the commit's
 * heartbeat timeout) and the re-`up` of a running cluster; `0`: not at all.
 */
const MODE = process.env['GATEHOUSE_CLUSTER_TEST'] ?? (BINARIES.every((b) => existsSync(b)) && hasGo() ? 'short' : '0');
const ENABLED = MODE === '1' || MODE === 'short';
const FULL = MODE === '1';
const itFull = (name: string, fn: () => Promise<void>, timeout: number): void => {
  if (FULL) it(name, fn, timeout);
};
// Apart from the dev cluster's defaults (7433, 55433), so the test runs beside one; Gatehouse's
// ports follow (scripts/temporal-cluster.sh).
const PORT = Number(process.env['GATEHOUSE_CLUSTER_TEST_PORT'] ?? 7633);
const POSTGRES_PORT = PORT + 48_000;
const ADDRESS = `127.0.0.1:${PORT}`;
const PROXY_URL = `http://127.0.0.1:${PORT + 20}`;
const TASK_QUEUE = 'gatehouse';
const REVIEWED_RUNS = FULL ? 6 : 4;
const WORKERS = ['worker-1', 'worker-2'] as const;
type WorkerName = (typeof WORKERS)[number];

let dir: string;
let keysDir: string;
let upOutput: string;
let target: SlowTarget;
let setup: WorkerSetup;
/** dev.env as the processes read it: the test's keys and those `cluster up` added. */
let devEnv: Record<string, string>;
let connection: Connection;
let client: Client;
let gatehouse: GatehouseClient;

async function cluster(command: 'up' | 'down' | 'status'): Promise<string> {
  const { stdout } = await run('bash', [join(ROOT, 'temporal-dev.sh'), 'cluster', command], {
    env: {
      ...process.env,
      TEMPORAL_CLUSTER_DIR: dir,
      TEMPORAL_CLUSTER_PORT: String(PORT),
      TEMPORAL_CLUSTER_POSTGRES_PORT: String(POSTGRES_PORT),
      GATEHOUSE_DEV_DIR: keysDir,
    },
    timeout: 900_000,
  });
  return stdout;
}

/** `cluster status`: exit 0 when everything runs, 3 when something does not; every pid either way. */
async function status(): Promise<{ code: number; stdout: string }> {
  return cluster('status').then(
    (stdout) => ({ code: 0, stdout }),
    (err: { code?: number; stdout?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '' }),
  );
}

/** The pid `cluster status` reports for each running Temporal service and Gatehouse process. */
async function pids(): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const m of (await status()).stdout.matchAll(
    /^\s+(frontend|history-\d|matching|worker|worker-\d|http-\d|round-robin)\s+\S+\s+pid (\d+)/gm,
  )) {
    found[m[1]!] = Number(m[2]);
  }
  return found;
}

const auditLogOf = (name: WorkerName): string => join(dir, 'gatehouse', `audit-${name}.jsonl`);

/**
 * Every worker's chain verifies with the audit keys the workers ran with and holds each entry
 * once. A run that moved from one worker to the other may have an entry in both chains (the
 * survivor replays the run and appends what its own chain lacks): then it is the same entry.
 */
function expectAuditChainsIntact(): void {
  const keyring = parseLinkKeyring(devEnv['GATEHOUSE_AUDIT_KEYS']!);
  const byId = new Map<string, string>();
  for (const name of WORKERS) {
    expect({ name, ...verifyChain(auditLogOf(name), keyring) }).toMatchObject({ name, ok: true });
    const lines = readChain(auditLogOf(name));
    expect(new Set(lines.map((l) => l.entryId)).size).toBe(lines.length);
    for (const line of lines) {
      const content = canonicalJson([line.workflowId, line.at, line.kind, line.data]);
      expect(byId.get(line.entryId) ?? content).toBe(content);
      byId.set(line.entryId, content);
    }
  }
  expect(byId.size).toBeGreaterThan(0);
}

/** The reviewer's mailed link, minted as the notify activity does (same link keys, same grant key). */
function approvalLink(wf: string, state: ApprovalState): { url: string; body: string } {
  const token = issueLinkToken(
    { wf, round: state.round, sub: 'alice', role: 'approver', exp: Math.floor(Date.now() / 1000) + 3_600, nonce: newNonce() },
    { keyring: parseLinkKeyring(setup.linkKeys), grantSigner: setup.grantSigner },
  );
  return { url: `${PROXY_URL}/api/decisions/${token}`, body: JSON.stringify({ kind: 'approve', paramsHash: state.paramsHash }) };
}

async function proxyStats(): Promise<UpstreamStats[]> {
  return (await (await fetch(`${PROXY_URL}${STATS_PATH}`)).json()) as UpstreamStats[];
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

const proposalIdOf = (h: WorkflowHandle): string => h.workflowId.slice(h.workflowId.indexOf(':') + 1);

/** `pid@host` of each worker that ran a workflow task of the run, in history order. */
async function workflowTaskIdentities(handle: WorkflowHandle): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.map((e) => e.workflowTaskStartedEventAttributes?.identity).filter((id): id is string => typeof id === 'string');
}

/** Sequenced last (test/support/cluster-last-sequencer.js): waits until the other files are done. */
async function aloneInRun(): Promise<void> {
  const progress = join(ROOT, 'test-artifacts/run-progress.json');
  const started = Date.now();
  for (;;) {
    if (!existsSync(progress)) return;
    const { total, done } = JSON.parse(readFileSync(progress, 'utf8')) as { total: number; done: number };
    if (done >= total - 1) break;
    // A run whose other files hang is not this test's to wait for forever.
    if (Date.now() - started > 15 * 60_000) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  if (Date.now() - started > 1_000) process.stderr.write(`cluster test waited ${Date.now() - started} ms for the other test files\n`);
}

/** The test's keys and policy (http.request reviewed above 1000) in the dev.env `cluster up` reads. */
function writeDevEnv(): void {
  const { TEMPORAL_ADDRESS, GATEHOUSE_TASK_QUEUE, SMTP_URL, GATEHOUSE_AUDIT_LOG, GATEHOUSE_EMAIL_OUTBOX_FILE, ...keys } = setup.env({
    TEMPORAL_ADDRESS: '',
    GATEHOUSE_TASK_QUEUE: '',
    SMTP_URL: '',
  });
  void [TEMPORAL_ADDRESS, GATEHOUSE_TASK_QUEUE, SMTP_URL, GATEHOUSE_AUDIT_LOG, GATEHOUSE_EMAIL_OUTBOX_FILE];
  const settings: Record<string, string | undefined> = {
    ...keys,
    GATEHOUSE_DECISION_SIGNING_KEY: setup.decisionSigningKey,
    // Long enough that a POST is still waiting for the (stopped) workers when its service is killed.
    GATEHOUSE_DECISION_TIMEOUT_MS: '60000',
  };
  mkdirSync(keysDir, { recursive: true });
  const lines = Object.entries(settings).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  writeFileSync(join(keysDir, 'dev.env'), `${lines.join('\n')}\n`);
}

function readDevEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(keysDir, 'dev.env'), 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0 && !line.startsWith('#')) env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

const describeCluster = ENABLED ? describe : describe.skip;

describeCluster(`Gatehouse on a multi-service Temporal cluster on PostgreSQL (GATEHOUSE_CLUSTER_TEST=${MODE})`, () => {
  beforeAll(async () => {
    await aloneInRun();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
    // PostgreSQL runs as an unprivileged user when the test runs as root: it must reach its data.
    chmodSync(dir, 0o755);
    keysDir = join(dir, 'keys');
    setup = prepareWorkerSetup();
    target = await startSlowTarget();
    writeDevEnv();
    const started = Date.now();
    upOutput = await cluster('up');
    process.stderr.write(`cluster up (Temporal and Gatehouse) in ${Date.now() - started} ms\n${upOutput}`);
    devEnv = readDevEnv();
    connection = await Connection.connect({ address: ADDRESS });
    client = new Client({ connection, dataConverter: dataConverterFor(devEnv['GATEHOUSE_PAYLOAD_KEYS']) });
    gatehouse = await GatehouseClient.connect({ client, taskQueue: TASK_QUEUE, agentKey: setup.agentKey });
  }, 1_800_000);

  afterAll(async () => {
    await connection?.close();
    await target?.close();
    if (dir) {
      await cluster('down').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('runs the Temporal services, two workers, two decision services and the round-robin as separate processes', async () => {
    const found = await pids();
    const names = ['frontend', 'history-1', 'history-2', 'matching', 'worker', 'worker-1', 'worker-2', 'http-1', 'http-2', 'round-robin'];
    expect(Object.keys(found).sort()).toEqual([...names].sort());
    expect(new Set(Object.values(found)).size).toBe(names.length);
    // "up" printed every address: the proxy, each service and worker, the inbox, the Web UI.
    for (const name of [...names, 'Web UI', 'mail inbox', 'PostgreSQL']) expect(upOutput).toMatch(new RegExp(`^\\s+${name}\\s+\\S`, 'm'));
    expect((await fetch(`${PROXY_URL}/readyz`)).status).toBe(200);
    // The stack's private keys are its owner's alone.
    expect(statSync(join(keysDir, 'dev.env')).mode & 0o077).toBe(0);
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

  itFull(
    'brings an already running cluster "up" again without restarting anything',
    async () => {
      const before = await cluster('status');
      await cluster('up');
      expect(await cluster('status')).toBe(before);
    },
    120_000,
  );

  it('completes every approved run exactly once after the worker holding most of them is killed during the wait', async () => {
    const ids = Array.from({ length: REVIEWED_RUNS }, (_, i) => `cluster-${i}-${randomUUID().slice(0, 8)}`);
    const handles = await Promise.all(
      ids.map(async (id) => client.workflow.getHandle((await gatehouse.propose(httpProposal(target.url, id, true))).workflowId)),
    );
    await Promise.all(handles.map((h) => waitingState(h)));
    // The search attributes `cluster up` registered are in the cluster's PostgreSQL visibility.
    const waiting = await eventually(
      async () => {
        const found: string[] = [];
        for await (const w of client.workflow.list({ query: `GatehouseStatus = "awaiting_approval" AND TaskQueue = "${TASK_QUEUE}"` })) {
          found.push(w.workflowId);
        }
        return found.length === REVIEWED_RUNS ? found : undefined;
      },
      60_000,
      'the waiting runs in visibility',
    );
    expect(waiting.sort()).toEqual(handles.map((h) => h.workflowId).sort());

    // Kill the worker whose cache holds the most runs, so the kill lands on runs mid-wait.
    const before = await pids();
    const lastIdentity = await Promise.all(handles.map(async (h) => (await workflowTaskIdentities(h)).at(-1)));
    const held = (name: WorkerName): number => lastIdentity.filter((id) => id?.startsWith(`${before[name]}@`)).length;
    const victim: WorkerName = held('worker-1') >= held('worker-2') ? 'worker-1' : 'worker-2';
    const survivor: WorkerName = victim === 'worker-1' ? 'worker-2' : 'worker-1';
    expect(held(victim)).toBeGreaterThan(0);
    process.kill(before[victim]!, 'SIGKILL');
    const killedAt = Date.now();

    await Promise.all(handles.map((h) => approveWhenWaiting(h, setup, 120_000)));
    const finals = await Promise.all(handles.map((h) => h.result() as Promise<ApprovalState>));
    process.stderr.write(
      `worker killed holding ${held(victim)} of ${REVIEWED_RUNS} waiting runs: all committed ${Date.now() - killedAt} ms later\n`,
    );
    expect(finals.map((f) => f.status)).toEqual(ids.map(() => 'succeeded'));
    expect(ids.map((id) => target.effects.get(id) ?? 0)).toEqual(ids.map(() => 1));
    expect(ids.map((id) => target.posts.filter((p) => p.resource === id).length)).toEqual(ids.map(() => 1));

    // The runs the dead worker held were finished by the other one.
    const after = await Promise.all(handles.map((h) => workflowTaskIdentities(h)));
    for (const [i, identities] of after.entries()) {
      if (lastIdentity[i]?.startsWith(`${before[victim]}@`)) expect(identities.at(-1)).toMatch(new RegExp(`^${before[survivor]}@`));
    }
    expectAuditChainsIntact();

    // As a supervisor would: `cluster up` starts a new worker in the dead one's place, and only that.
    expect((await status()).code).toBe(3);
    await cluster('up');
    const restarted = await pids();
    expect(restarted[victim]).not.toBe(before[victim]);
    expect({ ...restarted, [victim]: 0 }).toEqual({ ...before, [victim]: 0 });
  }, 600_000);

  itFull(
    'completes exactly once a run whose worker is SIGKILLed while its commit is in flight',
    async () => {
      const [handle] = await proposeWaiting('cluster-commit', 1);
      const id = proposalIdOf(handle!);
      // The target applies the effect and holds the answer: the kill lands after the effect.
      target.script(id, [{ kind: 'hold', applyFirst: true }]);
      await approveWhenWaiting(handle!, setup);
      await target.until(() => target.held(id) === 1, 60_000, `${id}'s commit at the target`);
      const { raw } = await handle!.describe();
      const commit = raw.pendingActivities?.find((a) => a.activityType?.name === 'commitAction');
      const holder = Object.values(await pids()).find((pid) => commit?.lastWorkerIdentity?.startsWith(`${pid}@`));
      expect(holder).toBeDefined();
      process.kill(holder!, 'SIGKILL');
      const killedAt = Date.now();

      const final = (await handle!.result()) as ApprovalState;
      process.stderr.write(`worker killed mid-commit: the run succeeded ${Date.now() - killedAt} ms later on the other worker\n`);
      expect(final.status).toBe('succeeded');
      // Check before retry: the effect the killed attempt applied is found, not applied again.
      expect(target.effects.get(id)).toBe(1);
      expect(target.posts.filter((p) => p.resource === id)).toHaveLength(1);
      await cluster('up');
    },
    300_000,
  );

  it('decides from a page one decision service served with a form POST the round-robin sends to the other', async () => {
    const [handle] = await proposeWaiting('cluster-page', 1);
    const { url } = approvalLink(handle!.workflowId, await waitingState(handle!));
    const pageUrl = url.replace('/api/decisions/', '/d/');
    const forwarded = async (): Promise<number[]> => (await proxyStats()).map((st) => st.forwarded);
    const before = await forwarded();
    const page = await getPage(pageUrl);
    expect(page.status).toBe(200);
    const servedPage = (await forwarded()).findIndex((n, i) => n > before[i]!);
    // The CSRF cookie and field are derived from the shared link key: any replica accepts them.
    const posted = await postForm(pageUrl, { kind: 'approve', paramsHash: page.paramsHash!, csrf: page.csrf! }, page.cookie);
    const tookPost = (await forwarded()).findIndex((n, i) => n > before[i]! + (i === servedPage ? 1 : 0));
    expect(posted.status).toBe(200);
    expect(posted.body).toContain('your approval is recorded');
    expect(new Set([servedPage, tookPost])).toEqual(new Set([0, 1]));
    expect(((await handle!.result()) as ApprovalState).status).toBe('succeeded');
  }, 120_000);

  it('lands every decision exactly once when a decision service is SIGKILLed with POSTs in flight', async () => {
    const handles = await proposeWaiting('cluster-post', 4);
    const links = await Promise.all(handles.map(async (h) => approvalLink(h.workflowId, await waitingState(h))));
    const live = await pids();
    // Stopped workers answer no Update, so each POST waits in its service until the kill.
    for (const name of WORKERS) process.kill(live[name]!, 'SIGSTOP');
    let answers: Promise<Awaited<ReturnType<typeof postWithRetry>>[]>;
    const failedBefore = (await proxyStats())[0]!.failedMidRequest;
    try {
      answers = Promise.all(links.map((l) => postWithRetry(l)));
      await eventually(
        async () => ((await proxyStats()).every((s) => s.inFlight === 2) ? true : undefined),
        30_000,
        'two POSTs in flight at each decision service',
      );
      process.kill(live['http-1']!, 'SIGKILL');
    } finally {
      for (const name of WORKERS) process.kill(live[name]!, 'SIGCONT');
    }
    const settled = await answers;
    process.stderr.write(`decision service killed mid-POST: attempts per POST ${settled.map((a) => a.attempts).join(', ')}\n`);
    expect(settled.map((a) => a.status)).toEqual(links.map(() => 200));
    expect(settled.every((a) => /"(applied|queued)":true/.test(a.body))).toBe(true);
    // The two POSTs the killed service held were retried, through the proxy, at the other one.
    expect(settled.filter((a) => a.attempts > 1)).toHaveLength(2);
    expect((await proxyStats())[0]!.failedMidRequest - failedBefore).toBe(2);

    const finals = await Promise.all(handles.map((h) => h.result() as Promise<ApprovalState>));
    expect(finals.map((f) => f.status)).toEqual(handles.map(() => 'succeeded'));
    // No decision lost, none counted twice: one approval from alice per run.
    expect(finals.map((f) => f.decisions.filter((d) => d.kind === 'approve').length)).toEqual(handles.map(() => 1));
    const ids = handles.map(proposalIdOf);
    expect(ids.map((id) => target.effects.get(id) ?? 0)).toEqual(ids.map(() => 1));
    expectAuditChainsIntact();
  }, 300_000);

  it('completes runs approved while a history host is dead, and "up" brings the host and the decision service back', async () => {
    const handles = await proposeWaiting('cluster-h', 3);
    const before = await pids();
    process.kill(before['history-2']!, 'SIGKILL');
    const killedAt = Date.now();

    // The shards history-2 owned move to history-1 once membership drops it.
    await Promise.all(handles.map((h) => approveWhenWaiting(h, setup, 180_000)));
    const finals = await Promise.all(handles.map((h) => h.result() as Promise<ApprovalState>));
    process.stderr.write(`history host killed: 3 approved runs completed ${Date.now() - killedAt} ms later\n`);
    expect(finals.map((f) => f.status)).toEqual(handles.map(() => 'succeeded'));
    const ids = handles.map(proposalIdOf);
    expect(ids.map((id) => target.effects.get(id) ?? 0)).toEqual(ids.map(() => 1));

    expect((await status()).code).toBe(3);
    await cluster('up');
    expect((await status()).code).toBe(0);
    const after = await pids();
    expect(after['history-2']).toBeGreaterThan(0);
    expect(after['history-2']).not.toBe(before['history-2']);
    expect((await fetch(`http://127.0.0.1:${PORT + 21}/readyz`)).status).toBe(200);
    expectAuditChainsIntact();
  }, 600_000);

  it('commits an auto-approved run on the cluster', async () => {
    const id = `cluster-auto-${randomUUID().slice(0, 8)}`;
    const proposed = await gatehouse.propose(httpProposal(target.url, id, false));
    const final = (await client.workflow.getHandle(proposed.workflowId).result()) as ApprovalState;
    expect(final.status).toBe('succeeded');
    expect(target.effects.get(id)).toBe(1);
  }, 120_000);
});
