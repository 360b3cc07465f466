/**
 * Everything a bench phase needs, assembled once: the dev server, the worker process, a client,
 * the Gatehouse SDK, the decision service, a decision signer and link keys; and the operations
 * the phases time (propose, decide by SDK or HTTP, start and signal the floor), each recording
 * what the correctness gate later checks.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { GatehouseClient } from '../src/client';
import { submitDecision } from '../src/client/submit-decision';
import { paramsHash } from '../src/domain/canonical-hash';
import type { ProposalInput } from '../src/domain/proposal';
import {
  createBytesSigner,
  createDecisionSigner,
  generateDecisionKeyPair,
  type BytesSigner,
  type DecisionSigner,
} from '../src/links/decision-signer';
import { decisionThroughLink, issueLinkToken } from '../src/links/link-issuer';
import { generateLinkSecret, parseLinkKeyring, type LinkKeyring } from '../src/links/keyring';
import { newNonce } from '../src/links/token';
import type { SignedDecision } from '../src/domain/decision';
import { decideUpdate } from '../workflows/messages';
import { decisionUpdateIdFor, workflowIdFor } from '../src/domain/ids';
import { benchActionTypes, type BenchActionType, type BenchParams } from './actions';
import { now } from './clock';
import { benchMcpConfig } from './mcp-config';
import { floorDecideSignal, floorDecideUpdate, type floorWorkflow } from './floor-workflow';
import type { BenchHttp } from './http';
import { startHttpProcess } from './http-host';
import { forkBenchProcess } from './fork-process';
import { postJson } from './post-json';
import type { LoadResult } from './http-load';
import { startClusterServer } from './temporal-cluster';
import { startDevServer } from './temporal-server';
import { combineWorkers, startWorkerProcess, type WorkerHost } from './worker-host';
import { benchTuning, type BenchTuning } from './worker-options';

export const GATEHOUSE_QUEUE = 'bench-gatehouse';
export const FLOOR_QUEUE = 'bench-floor';

/** Who decides in which role, per action type (bench/policies/reviewers.yaml). */
export const DECIDERS: Record<Exclude<BenchActionType, 'bench.auto'>, { id: string; role: string }[]> = {
  'bench.single': [{ id: 'alice', role: 'approver' }],
  'bench.dual': [
    { id: 'carol', role: 'finance' },
    { id: 'dave', role: 'manager' },
  ],
};

export interface Expectations {
  /** Gatehouse runs that must end `succeeded`, with exactly one commit each. */
  gatehouse: Set<string>;
  /** Floor runs that must complete with exactly one activity each. */
  floor: Set<string>;
  /** Approvals sent and accepted (update applied or queued as a signal). */
  decisionsAccepted: number;
  /** Decisions refused or failed: any is a failed run. */
  decisionFailures: string[];
}

export interface Bench {
  server: { address: string; dir: string; version: string };
  /** The Temporal server's processes: one dev server, or a cluster's services and PostgreSQL. */
  serverPids(): number[];
  client: Client;
  gatehouse: GatehouseClient;
  /** All worker processes as one: an event is reported by whichever ran it. */
  worker: WorkerHost;
  workerPids(): number[];
  /** Starts one more worker process on the same task queues (its own audit file). */
  addWorker(): Promise<void>;
  http: BenchHttp;
  signer: DecisionSigner;
  /** The worker's link-grant key, so the bench's links and decisions are granted as mailed ones are. */
  grantSigner: BytesSigner;
  linkKeyring: LinkKeyring;
  tuning: BenchTuning;
  /** One audit file per worker process. */
  auditLogFiles: string[];
  /** The bench agent's `kid:hex` key: the MCP gateway proposes with it. */
  agentKey: string;
  /** Where the driver's MCP gateway and the worker find the downstream server and the call record. */
  mcpConfig: Record<string, unknown>;
  expect: Expectations;
  runTag: string;
  close(): Promise<void>;
}

export async function createBench(options: {
  maxCachedWorkflows: number;
  log: (line: string) => void;
  /** On a Temporal cluster (`temporal-dev.sh cluster up`) instead of the dev server. */
  cluster?: boolean;
}): Promise<Bench> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        options.log(`cleanup: ${(err as Error).message}`);
      }
    }
  };
  try {
    let server: Bench['server'];
    let serverPids: () => number[];
    if (options.cluster) {
      const cluster = startClusterServer();
      cleanups.push(() => cluster.stop());
      server = cluster;
      serverPids = () => cluster.pids();
    } else {
      const dev = await startDevServer();
      cleanups.push(() => dev.stop());
      server = dev;
      serverPids = () => [dev.pid];
    }
    options.log(`temporal ${options.cluster ? 'cluster' : 'dev server'} ${server.version} on ${server.address} (state in ${server.dir})`);
    const keys = generateDecisionKeyPair();
    const agentKeys = generateDecisionKeyPair();
    const signer = createDecisionSigner({ keyId: 'bench', privateKeyHex: keys.privateKeyHex });
    const grantKey = { keyId: 'bench-grant', privateKeyHex: generateDecisionKeyPair().privateKeyHex };
    const grantSigner = createBytesSigner(grantKey);
    const linkKeys = `k1:${generateLinkSecret()}`;
    const linkKeyring = parseLinkKeyring(linkKeys);
    const tuning = benchTuning(options.maxCachedWorkflows);
    const auditLogFiles = [join(server.dir, 'audit.jsonl')];
    const bundled = now();
    execFileSync(process.execPath, ['--import', 'tsx', resolve(__dirname, 'bundle.ts'), server.dir], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    options.log(`workflow bundles, worker and decision service built in ${Math.round(now() - bundled)} ms`);
    const workerConfig = {
      address: server.address,
      namespace: 'default',
      gatehouseTaskQueue: GATEHOUSE_QUEUE,
      floorTaskQueue: FLOOR_QUEUE,
      decisionPublicKey: { keyId: 'bench', publicKeyHex: keys.publicKeyHex },
      grantKey,
      agentPublicKey: { keyId: 'bench-agent-1', publicKeyHex: agentKeys.publicKeyHex },
      linkKeys,
      publicUrl: 'http://127.0.0.1:9/',
      auditLogFile: auditLogFiles[0]!,
      tuning,
      bundles: { gatehouse: join(server.dir, 'gatehouse.js'), floor: join(server.dir, 'floor.js') },
      policiesDir: resolve(__dirname, 'policies'),
      mcp: benchMcpConfig(server.dir),
    };
    const workers: WorkerHost[] = [];
    const startWorker = async (auditLogFile: string) => {
      const worker = await startWorkerProcess(join(server.dir, 'worker-process.js'), { ...workerConfig, auditLogFile });
      cleanups.push(() => worker.stop());
      workers.push(worker);
      options.log(`worker process ${worker.pid} ready in ${Math.round(worker.startMs)} ms`);
    };
    await startWorker(auditLogFiles[0]!);
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const gatehouse = await GatehouseClient.connect({
      client,
      taskQueue: GATEHOUSE_QUEUE,
      actionTypes: benchActionTypes(),
      agentKey: `bench-agent-1:${agentKeys.privateKeyHex}`,
    });
    const http = await startHttpProcess(join(server.dir, 'http-process.js'), {
      address: server.address,
      namespace: 'default',
      linkKeys,
      signer: { keyId: 'bench', privateKeyHex: keys.privateKeyHex },
    });
    cleanups.push(() => http.close());
    const bench: Bench = {
      server,
      serverPids,
      client,
      gatehouse,
      worker: workers[0]!,
      workerPids: () => workers.map((w) => w.pid),
      async addWorker() {
        const file = join(server.dir, `audit-${workers.length + 1}.jsonl`);
        await startWorker(file);
        auditLogFiles.push(file);
        bench.worker = combineWorkers(workers);
      },
      http,
      signer,
      grantSigner,
      linkKeyring,
      tuning,
      auditLogFiles,
      agentKey: `bench-agent-1:${agentKeys.privateKeyHex}`,
      mcpConfig: benchMcpConfig(server.dir),
      expect: { gatehouse: new Set(), floor: new Set(), decisionsAccepted: 0, decisionFailures: [] },
      runTag: Date.now().toString(36),
      close,
    };
    return bench;
  } catch (err) {
    await close();
    throw err;
  }
}

let seq = 0;
/** A unique proposal id for this run: readable in the Web UI, safe in Message-IDs. */
export function nextId(bench: Bench, phase: string): string {
  return `${bench.runTag}-${phase}-${++seq}`;
}

export function benchParams(id: string): BenchParams {
  return { account: `acct-${id}`.slice(0, 64), amount: 42.5, currency: 'EUR', note: 'bench refund' };
}

export function proposalInput(actionType: BenchActionType, id: string): ProposalInput {
  return {
    id,
    actionType,
    params: benchParams(id),
    agent: { id: 'bench-agent', name: 'Bench agent' },
    requestedBy: { id: 'peter', name: 'Peter Principal' },
    summary: `Bench ${actionType} ${id}`,
    evidence: { rationale: 'benchmark traffic', confidence: 0.9 },
  };
}

/** Starts an approval run through the SDK; returns its workflow id. */
export async function propose(bench: Bench, actionType: BenchActionType, id: string): Promise<string> {
  const handle = await bench.gatehouse.propose(proposalInput(actionType, id));
  bench.expect.gatehouse.add(handle.workflowId);
  return handle.workflowId;
}

export function workflowIdOf(actionType: BenchActionType, id: string): string {
  return workflowIdFor(proposalInput(actionType, id));
}

function signedApproval(
  bench: Bench,
  wf: string,
  id: string,
  reviewer: { id: string; role: string },
  nonce = randomUUID(),
): SignedDecision {
  return decisionThroughLink(
    {
      nonce,
      workflowId: wf,
      round: 1,
      reviewer,
      kind: 'approve',
      paramsHash: paramsHash(benchParams(id)),
      decidedAt: new Date().toISOString(),
    },
    bench.signer,
    bench.grantSigner,
  );
}

/** Signs and submits an approval through the SDK (Update, signal fallback). */
export async function decideSdk(bench: Bench, wf: string, id: string, reviewer: { id: string; role: string }): Promise<void> {
  try {
    await submitDecision(bench.client, signedApproval(bench, wf, id, reviewer));
    bench.expect.decisionsAccepted++;
  } catch (err) {
    bench.expect.decisionFailures.push(`${wf}: ${(err as Error).message}`);
    throw err;
  }
}

/** A pre-signed approval, for timing the bare Update RPC. */
export function presign(bench: Bench, wf: string, id: string, reviewer: { id: string; role: string }): SignedDecision {
  return signedApproval(bench, wf, id, reviewer);
}

/** The bare Update RPC a decision service would make, with no signing and no fallback. */
export async function rawUpdate(bench: Bench, signed: SignedDecision): Promise<void> {
  try {
    await bench.client.workflow
      .getHandle(signed.payload.workflowId)
      .executeUpdate(decideUpdate, { args: [signed], updateId: decisionUpdateIdFor(signed.payload) });
    bench.expect.decisionsAccepted++;
  } catch (err) {
    bench.expect.decisionFailures.push(`${signed.payload.workflowId}: ${(err as Error).message}`);
    throw err;
  }
}

/** The reviewer's mailed link, minted as the notify activity does. */
export function linkToken(bench: Bench, wf: string, reviewer: { id: string; role: string }): string {
  const exp = Math.floor(Date.now() / 1000) + 3_600;
  return issueLinkToken(
    { wf, round: 1, sub: reviewer.id, role: reviewer.role, exp, nonce: newNonce() },
    { keyring: bench.linkKeyring, grantSigner: bench.grantSigner },
  );
}

/** The JSON decision API's URL and approval body for one run's link. */
function approvalPost(bench: Bench, token: string, id: string): { url: string; body: string } {
  return {
    url: `${bench.http.baseUrl}/api/decisions/${token}`,
    body: JSON.stringify({ kind: 'approve', paramsHash: paramsHash(benchParams(id)) }),
  };
}

/** Records a POSTed decision's answer for the correctness gate; returns why it failed, if it did. */
function recordPostAnswer(bench: Bench, wf: string, answer: { status: number; body: string }): string | undefined {
  if (answer.status === 200 && /"(applied|queued)":true/.test(answer.body)) {
    bench.expect.decisionsAccepted++;
    return undefined;
  }
  const failure = `${wf}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`;
  bench.expect.decisionFailures.push(failure);
  return failure;
}

export interface PreparedApproval {
  wf: string;
  url: string;
  body: string;
}

/**
 * What a reviewer's browser holds before the click: the mailed link and the approval body. Built
 * before a timed send, so the decision's latency carries no work a real reviewer never waits for.
 */
export function prepareApproval(bench: Bench, wf: string, id: string, reviewer: { id: string; role: string }): PreparedApproval {
  return { wf, ...approvalPost(bench, linkToken(bench, wf, reviewer), id) };
}

/** POSTs an approval to the JSON decision API, as a chat integration or the page would. */
export async function postApproval(bench: Bench, approval: PreparedApproval): Promise<void> {
  const failure = recordPostAnswer(bench, approval.wf, await postJson(approval.url, approval.body));
  if (failure) throw new Error(failure);
}

export async function startFloor(bench: Bench, id: string): Promise<string> {
  const wf = `bench.floor:${id}`;
  await bench.client.workflow.start<typeof floorWorkflow>('floorWorkflow', { workflowId: wf, taskQueue: FLOOR_QUEUE });
  bench.expect.floor.add(wf);
  return wf;
}

export async function signalFloor(bench: Bench, wf: string): Promise<void> {
  await bench.client.workflow.getHandle(wf).signal(floorDecideSignal, { approve: true });
}

/** The floor's signal sent by an Express route in the decision service's process: the HTTP hop alone. */
export async function signalFloorHttp(bench: Bench, wf: string): Promise<void> {
  const res = await postJson(`${bench.http.floorSignalBase}/${encodeURIComponent(wf)}`, '{}');
  if (res.status !== 200) throw new Error(`${wf}: floor signal over HTTP answered ${res.status} ${res.body.slice(0, 200)}`);
}

export async function updateFloor(bench: Bench, wf: string): Promise<void> {
  await bench.client.workflow.getHandle(wf).executeUpdate(floorDecideUpdate, { args: [{ approve: true }] });
}

/** Start and decision in one RPC: the floor of an auto-approved action's end-to-end path. */
export async function signalWithStartFloor(bench: Bench, id: string): Promise<string> {
  const wf = `bench.floor:${id}`;
  await bench.client.workflow.signalWithStart<typeof floorWorkflow, [{ approve: boolean }]>('floorWorkflow', {
    workflowId: wf,
    taskQueue: FLOOR_QUEUE,
    signal: floorDecideSignal,
    signalArgs: [{ approve: true }],
  });
  bench.expect.floor.add(wf);
  return wf;
}

/**
 * POSTs approvals to the JSON decision API from a separate process (bench/http-load.ts), `lanes`
 * at a time; records each outcome like postApproval. Returns the load generator's timings.
 */
export async function decideHttpBatch(bench: Bench, runs: { wf: string; id: string; token: string }[], lanes: number): Promise<LoadResult> {
  const child = forkBenchProcess(resolve(__dirname, 'http-load.ts'));
  const result = await new Promise<LoadResult>((ok, fail) => {
    child.once('message', (m) => ok(m as LoadResult));
    child.once('exit', (code) => fail(new Error(`load generator exited with ${code}`)));
    child.send({ lanes, items: runs.map(({ token, id }) => approvalPost(bench, token, id)) });
  });
  result.results.forEach((r, i) => void recordPostAnswer(bench, runs[i]!.wf, r));
  return result;
}
