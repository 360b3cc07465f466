/**
 * The measurements, one function each. Every phase records what it started in bench.expect, so
 * the correctness gate at the end can hold the whole run to account.
 */
import { existsSync, readFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { verifyChain } from '../src/audit/hash-chain-log';
import { generateLinkSecret, parseLinkKeyring } from '../src/links/keyring';
import { newNonce, signLinkToken } from '../src/links/token';
import type { ApprovalState } from '../src/domain/state';
import type { BenchActionType } from './actions';
import { now, sleep } from './clock';
import {
  DECIDERS,
  FLOOR_QUEUE,
  GATEHOUSE_QUEUE,
  decideHttpBatch,
  decideSdk,
  linkToken,
  nextId,
  postApproval,
  prepareApproval,
  presign,
  propose,
  rawUpdate,
  signalFloor,
  signalFloorHttp,
  updateFloor,
  signalWithStartFloor,
  startFloor,
  type Bench,
} from './context';
import { cannon, type CannonResult } from './http-cannon';
import { closedLoop, openLoop } from './load';
import { cpuMeter, settled, type CpuPerOp } from './proc';
import { histogram, median, round, summarize, type Summary } from './stats';

const SINGLE = DECIDERS['bench.single'][0]!;
const idsFor = (bench: Bench, phase: string, n: number) => Array.from({ length: n }, () => nextId(bench, phase));

/** Waits for every run's result; a Gatehouse run must end `succeeded`. */
async function awaitResults(bench: Bench, wfs: readonly string[], kind: 'gatehouse' | 'floor'): Promise<void> {
  const { errors } = await closedLoop(wfs, 64, async (wf) => {
    const result: unknown = await bench.client.workflow.getHandle(wf).result();
    if (kind === 'gatehouse' && (result as ApprovalState).status !== 'succeeded') {
      throw new Error(`${wf} ended ${(result as ApprovalState).status}`);
    }
    if (kind === 'floor' && result !== 'done') throw new Error(`${wf} ended ${String(result)}`);
  });
  if (errors.length > 0) throw new Error(`${errors.length} runs did not end as expected: ${(errors[0] as Error).message}`);
}

function failOn(errors: unknown[], what: string): void {
  if (errors.length > 0)
    throw new Error(`${what}: ${errors.length} operations failed; first: ${(errors[0] as Error)?.message ?? String(errors[0])}`);
}

// ---------------------------------------------------------------------------------------------
// History events per happy path

export interface HistoryFigures {
  floor: number;
  single: number;
  dual: number;
  auto: number;
  /** Event types and counts per path, for seeing where the events go. */
  breakdown: Record<string, Record<string, number>>;
}

async function historyOf(bench: Bench, wf: string): Promise<{ count: number; types: Record<string, number> }> {
  const history = await bench.client.workflow.getHandle(wf).fetchHistory();
  const types: Record<string, number> = {};
  for (const e of history.events ?? []) {
    const name = (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    types[name] = (types[name] ?? 0) + 1;
  }
  return { count: history.events?.length ?? 0, types };
}

async function timerStarted(bench: Bench, wf: string, timeoutMs = 30_000): Promise<void> {
  const until = now() + timeoutMs;
  for (;;) {
    const history = await bench.client.workflow.getHandle(wf).fetchHistory();
    if ((history.events ?? []).some((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED)) return;
    if (now() > until) throw new Error(`${wf} never started its SLA timer`);
    await sleep(50);
  }
}

export async function measureHistory(bench: Bench): Promise<HistoryFigures> {
  const floorWf = await startFloor(bench, nextId(bench, 'hist'));
  await bench.worker.waitFor('waiting', floorWf);
  await signalFloor(bench, floorWf);
  await awaitResults(bench, [floorWf], 'floor');

  const run = async (type: BenchActionType) => {
    const id = nextId(bench, 'hist');
    const wf = await propose(bench, type, id);
    if (type !== 'bench.auto') {
      await bench.worker.waitFor('ready', wf);
      // The review mail goes out just before the run settles on its SLA timer; deciding earlier
      // would measure a shorter path than a human's.
      await timerStarted(bench, wf);
      for (const reviewer of DECIDERS[type]) await decideSdk(bench, wf, id, reviewer);
    }
    await awaitResults(bench, [wf], 'gatehouse');
    return historyOf(bench, wf);
  };
  const [floor, single, dual, auto] = [
    await historyOf(bench, floorWf),
    await run('bench.single'),
    await run('bench.dual'),
    await run('bench.auto'),
  ];
  return {
    floor: floor.count,
    single: single.count,
    dual: dual.count,
    auto: auto.count,
    breakdown: { floor: floor.types, single: single.types, dual: dual.types, auto: auto.types },
  };
}

// ---------------------------------------------------------------------------------------------
// Saturation throughput: lanes that each run whole lifecycles (start, wait, decide, complete)

export interface Throughput {
  perSec: number;
  /** CPU spent per completed lifecycle, by process. */
  cpuMsPerOp: CpuPerOp;
}

const meter = (bench: Bench) => cpuMeter({ worker: () => bench.workerPids(), server: () => bench.serverPids() })();

/** Floor lifecycles per second with `lanes` concurrent "agents", each deciding as soon as asked. */
export async function floorThroughput(bench: Bench, count: number, lanes: number): Promise<Throughput> {
  const cpu = meter(bench);
  const { errors, elapsedMs } = await closedLoop(idsFor(bench, 'tpf', count), lanes, async (id) => {
    const wf = await startFloor(bench, id);
    await bench.worker.waitFor('waiting', wf);
    await signalFloor(bench, wf);
    const result: unknown = await bench.client.workflow.getHandle(wf).result();
    if (result !== 'done') throw new Error(`${wf} ended ${String(result)}`);
  });
  failOn(errors, 'floor throughput');
  return { perSec: (count * 1000) / elapsedMs, cpuMsPerOp: cpu(count) };
}

/** Single-approval lifecycles per second: propose, wait for the review mail, approve, succeed. */
export async function gatehouseThroughput(bench: Bench, count: number, lanes: number): Promise<Throughput> {
  const cpu = meter(bench);
  const { errors, elapsedMs } = await closedLoop(idsFor(bench, 'tpg', count), lanes, async (id) => {
    const wf = await propose(bench, 'bench.single', id);
    await bench.worker.waitFor('ready', wf);
    await decideSdk(bench, wf, id, SINGLE);
    const result = (await bench.client.workflow.getHandle(wf).result()) as ApprovalState;
    if (result.status !== 'succeeded') throw new Error(`${wf} ended ${result.status}`);
  });
  failOn(errors, 'gatehouse throughput');
  return { perSec: (count * 1000) / elapsedMs, cpuMsPerOp: cpu(count) };
}

// ---------------------------------------------------------------------------------------------
// Pools of waiting runs: start rate, evaluation rate

export interface Pool {
  /** workflow id → proposal id */
  runs: { wf: string; id: string }[];
  startedPerSec: number;
  /** Runs that reached their wait (floor) or the review mail (Gatehouse) per second, from the first start. */
  readyPerSec: number;
}

export async function floorPool(bench: Bench, n: number, submitters: number, readyTimeoutMs = 60_000): Promise<Pool> {
  const runs: { wf: string; id: string }[] = [];
  const t0 = now();
  const { errors, elapsedMs } = await closedLoop(idsFor(bench, 'pf', n), submitters, async (id) => {
    runs.push({ wf: await startFloor(bench, id), id });
  });
  failOn(errors, 'floor starts');
  const ready = await Promise.all(runs.map((r) => bench.worker.waitFor('waiting', r.wf, readyTimeoutMs)));
  return { runs, startedPerSec: (n * 1000) / elapsedMs, readyPerSec: (n * 1000) / (Math.max(...ready) - t0) };
}

export async function gatehousePool(
  bench: Bench,
  type: BenchActionType,
  n: number,
  submitters: number,
  readyTimeoutMs = 120_000,
): Promise<Pool> {
  const runs: { wf: string; id: string }[] = [];
  const t0 = now();
  const { errors, elapsedMs } = await closedLoop(idsFor(bench, 'pg', n), submitters, async (id) => {
    runs.push({ wf: await propose(bench, type, id), id });
  });
  failOn(errors, 'proposals');
  const ready = await Promise.all(runs.map((r) => bench.worker.waitFor('ready', r.wf, readyTimeoutMs)));
  return { runs, startedPerSec: (n * 1000) / elapsedMs, readyPerSec: (n * 1000) / (Math.max(...ready) - t0) };
}

// ---------------------------------------------------------------------------------------------
// Decision latency, open loop: decision sent → commit (or floor activity) started

export interface LatencySamples {
  /** decision scheduled → activity start */
  toActivity: number[];
  /** decision scheduled → the RPC or POST answered */
  response: number[];
}

const emptySamples = (): LatencySamples => ({ toActivity: [], response: [] });

/** How the floor is decided: an SDK signal (the floor), an SDK update, or a signal sent by an Express route. */
export type FloorDecision = 'signal' | 'update' | 'http';

const floorDecide: Record<FloorDecision, (bench: Bench, wf: string) => Promise<void>> = {
  signal: signalFloor,
  update: updateFloor,
  http: signalFloorHttp,
};

export async function floorLatency(
  bench: Bench,
  runs: Pool['runs'],
  rate: number,
  into = emptySamples(),
  via: FloorDecision = 'signal',
): Promise<LatencySamples> {
  const { errors } = await openLoop(runs, rate, async ({ wf }, at) => {
    await floorDecide[via](bench, wf);
    into.response.push(now() - at);
    into.toActivity.push((await bench.worker.waitFor('floor', wf)) - at);
  });
  failOn(errors, `floor ${via}s`);
  await awaitResults(
    bench,
    runs.map((r) => r.wf),
    'floor',
  );
  return into;
}

export async function gatehouseLatency(
  bench: Bench,
  runs: Pool['runs'],
  rate: number,
  via: 'sdk' | 'http',
  into = emptySamples(),
): Promise<LatencySamples> {
  // An SDK caller signs its decision as it sends it; a reviewer already holds the mailed link.
  const approvals = via === 'http' ? new Map(runs.map(({ wf, id }) => [wf, prepareApproval(bench, wf, id, SINGLE)])) : undefined;
  const { errors } = await openLoop(runs, rate, async ({ wf, id }, at) => {
    await (approvals ? postApproval(bench, approvals.get(wf)!) : decideSdk(bench, wf, id, SINGLE));
    into.response.push(now() - at);
    into.toActivity.push((await bench.worker.waitFor('commit', wf)) - at);
  });
  failOn(errors, `${via} decisions`);
  await awaitResults(
    bench,
    runs.map((r) => r.wf),
    'gatehouse',
  );
  return into;
}

// ---------------------------------------------------------------------------------------------
// End to end without a human: auto-approved action vs the floor's signal-with-start

export interface E2eSamples {
  toCommit: number[];
  toCompleted: number[];
}

export async function autoEndToEnd(
  bench: Bench,
  n: number,
  rate: number,
  into: E2eSamples = { toCommit: [], toCompleted: [] },
): Promise<E2eSamples> {
  const { errors } = await openLoop(idsFor(bench, 'auto', n), rate, async (id, at) => {
    const wf = await propose(bench, 'bench.auto', id);
    into.toCommit.push((await bench.worker.waitFor('commit', wf)) - at);
    const result = (await bench.client.workflow.getHandle(wf).result()) as ApprovalState;
    into.toCompleted.push(now() - at);
    if (result.status !== 'succeeded') throw new Error(`${wf} ended ${result.status}`);
  });
  failOn(errors, 'auto-approved runs');
  return into;
}

export async function floorEndToEnd(
  bench: Bench,
  n: number,
  rate: number,
  into: E2eSamples = { toCommit: [], toCompleted: [] },
): Promise<E2eSamples> {
  const { errors } = await openLoop(idsFor(bench, 'fe2e', n), rate, async (id, at) => {
    const wf = await signalWithStartFloor(bench, id);
    into.toCommit.push((await bench.worker.waitFor('floor', wf)) - at);
    await bench.client.workflow.getHandle(wf).result();
    into.toCompleted.push(now() - at);
  });
  failOn(errors, 'floor end-to-end runs');
  return into;
}

// ---------------------------------------------------------------------------------------------
// The decision endpoint over HTTP

export interface HttpFigures {
  helloWorld: CannonResult;
  badSignature: CannonResult;
  page: CannonResult;
  /** Decisions per second at `lanes` concurrency: bare Update RPC (pre-signed) vs JSON POST. */
  updateRpcPerSec: number;
  decisionPostPerSec: number;
  updateRpcLatency: Summary;
  decisionPostLatency: Summary;
  lanes: number;
}

export async function measureHttp(
  bench: Bench,
  cfg: { seconds: number; connections: number; pageRuns: number; decisions: number; lanes: number; blocks: number; submitters: number },
): Promise<HttpFigures> {
  const helloWorld = await cannon({ url: bench.http.helloUrl, seconds: cfg.seconds, connections: cfg.connections });
  // Well-formed, known key id, wrong MAC: refused by the HMAC check before anything else.
  const forger = parseLinkKeyring(`k1:${generateLinkSecret()}`);
  const forged = signLinkToken(
    { wf: 'bench.single:nope', round: 1, sub: 'alice', role: 'approver', exp: Math.floor(Date.now() / 1000) + 3600, nonce: newNonce() },
    forger,
  );
  const badSignature = await cannon({ url: `${bench.http.baseUrl}/d/${forged}`, seconds: cfg.seconds, connections: cfg.connections });
  if (Object.keys(badSignature.statusCounts).some((c) => c.startsWith('2'))) throw new Error('a forged link was served');

  const pagePool = await gatehousePool(bench, 'bench.single', cfg.pageRuns, cfg.submitters);
  const paths = pagePool.runs.map(({ wf }) => `/d/${linkToken(bench, wf, SINGLE)}`);
  const page = await cannon({ url: bench.http.baseUrl, paths, seconds: cfg.seconds, connections: cfg.connections });
  for (const { wf, id } of pagePool.runs) await decideSdk(bench, wf, id, SINGLE);
  await awaitResults(
    bench,
    pagePool.runs.map((r) => r.wf),
    'gatehouse',
  );

  const rpc: number[] = [];
  const post: number[] = [];
  const rpcLat: number[] = [];
  const postLat: number[] = [];
  for (let b = 0; b < cfg.blocks; b++) {
    const pool = await gatehousePool(bench, 'bench.single', cfg.decisions * 2, cfg.submitters);
    await sleep(500);
    const signed = pool.runs.slice(0, cfg.decisions).map(({ wf, id }) => presign(bench, wf, id, SINGLE));
    const tokens = pool.runs.slice(cfg.decisions).map(({ wf, id }) => ({ wf, id, token: linkToken(bench, wf, SINGLE) }));
    const runRpc = async () => {
      const r = await closedLoop(signed, cfg.lanes, async (s) => {
        const t = now();
        await rawUpdate(bench, s);
        rpcLat.push(now() - t);
      });
      failOn(r.errors, 'update RPCs');
      rpc.push((signed.length * 1000) / r.elapsedMs);
    };
    const runPost = async () => {
      const r = await decideHttpBatch(bench, tokens, cfg.lanes);
      const failed = r.results.filter((x) => x.status !== 200);
      if (failed.length > 0)
        throw new Error(`decision POSTs: ${failed.length} failed; first: HTTP ${failed[0]!.status} ${failed[0]!.body.slice(0, 200)}`);
      postLat.push(...r.results.map((x) => x.ms));
      post.push((tokens.length * 1000) / r.elapsedMs);
    };
    // Alternate which goes first, so the commits the first one triggers weigh on both alike.
    if (b % 2 === 0) {
      await runRpc();
      await runPost();
    } else {
      await runPost();
      await runRpc();
    }
    await awaitResults(
      bench,
      pool.runs.map((r) => r.wf),
      'gatehouse',
    );
  }
  return {
    helloWorld,
    badSignature,
    page,
    updateRpcPerSec: round(median(rpc)),
    decisionPostPerSec: round(median(post)),
    updateRpcLatency: summarize(rpcLat),
    decisionPostLatency: summarize(postLat),
    lanes: cfg.lanes,
  };
}

// ---------------------------------------------------------------------------------------------
// Many approvals waiting: worker memory and decision latency

export interface PendingFigures {
  n: number;
  maxCachedWorkflows: number;
  startedPerSec: number;
  readyPerSec: number;
  /** Worker RSS (MB) before the ramp, at each step of it once idle (the last is all n waiting), after the drain. */
  rssMb: { before: number; checkpoints: PendingCheckpoint[]; settled: number; afterDrain: number };
  /** RSS growth per extra waiting approval beyond the cache: least-squares slope over the checkpoints ≥ cache and n. */
  kbPerPendingBeyondCache: number | null;
  /** Standard error of that slope: its scatter from GC timing and native allocations. */
  kbPerPendingBeyondCacheStdErr: number | null;
  /**
   * The same slope for the heap after a full GC: what the waiting runs retain, without the
   * garbage RSS still holds. Covers the workflows only when they run on the worker's main thread
   * (BENCH_WORKER_DEBUG_MODE=1); `heapScope` says which.
   */
  heapKbPerPendingBeyondCache: number | null;
  heapScope: HeapScope;
  heapBeforeMb: number | undefined;
  decision: { sdkToCommit: Summary; sdkResponse: Summary; histogram: Record<string, number> };
  drainPerSec: number;
}

export type HeapScope = 'main thread and workflows' | 'main thread only' | 'not collected';

export interface PendingCheckpoint {
  waiting: number;
  rssMb: number;
  heapMb?: number;
  heapScope: HeapScope;
}

/** The worker's heap after a full GC, and what it covers (see WorkerHost.memory). */
async function heapAfterGc(bench: Bench, waiting: number): Promise<Pick<PendingCheckpoint, 'heapMb' | 'heapScope'>> {
  const dir = process.env['BENCH_HEAP_SNAPSHOTS'];
  const m = await bench.worker.memory(dir ? `${dir}/pending-${waiting}.heapsnapshot` : undefined);
  if (!m.gcRan) return { heapScope: 'not collected' };
  return { heapMb: m.heapUsedMb, heapScope: m.workflowsOnThisThread ? 'main thread and workflows' : 'main thread only' };
}

/**
 * Least-squares growth per waiting approval (KB), over points at or beyond the cache, with its
 * standard error: RSS moves by tens of MB with garbage collection, so a slope means little
 * without how far the points scatter around it. Two points are not enough.
 */
function slopeKb(points: { waiting: number; mb: number }[]): { kb: number; stdErrKb: number } | null {
  if (points.length < 3) return null;
  const mx = points.reduce((s, p) => s + p.waiting, 0) / points.length;
  const my = points.reduce((s, p) => s + p.mb, 0) / points.length;
  const cov = points.reduce((s, p) => s + (p.waiting - mx) * (p.mb - my), 0);
  const v = points.reduce((s, p) => s + (p.waiting - mx) ** 2, 0);
  if (v === 0) return null;
  const slope = cov / v;
  const residuals = points.reduce((s, p) => s + (p.mb - (my + slope * (p.waiting - mx))) ** 2, 0);
  const stdErr = Math.sqrt(residuals / (points.length - 2) / v);
  return { kb: round(slope * 1024, 2), stdErrKb: round(stdErr * 1024, 2) };
}

async function settledRss(bench: Bench): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(bench.worker.rssMb());
    await sleep(200);
  }
  return round(median(samples), 1);
}

export async function measurePending(
  bench: Bench,
  cfg: { n: number; steps: number; submitters: number; rate: number; sample: number; lanes: number; log: (s: string) => void },
  into = emptySamples(),
): Promise<PendingFigures> {
  const before = await settledRss(bench);
  const heapBefore = await heapAfterGc(bench, 0);
  // The ramp pauses at each step until every run started so far waits and the worker is idle,
  // so each RSS point holds waiting runs, not the garbage of the ones being evaluated. A full run
  // takes eight steps, not four: native memory and the workflow thread's uncollected garbage move
  // RSS by tens of MB at a time, and one such move at the last of four points more than tripled
  // the fitted slope.
  const marks = Array.from({ length: cfg.steps }, (_, i) => Math.round((cfg.n * (i + 1)) / cfg.steps));
  const checkpoints: PendingCheckpoint[] = [];
  const runs: { wf: string; id: string }[] = [];
  let readyCount = 0;
  let startMs = 0;
  let readyMs = 0;
  let lastLog = now();
  for (const mark of marks) {
    const t0 = now();
    const readiness: Promise<number>[] = [];
    const started = await closedLoop(idsFor(bench, 'wait', mark - runs.length), cfg.submitters, async (id) => {
      const wf = await propose(bench, 'bench.single', id);
      runs.push({ wf, id });
      readiness.push(bench.worker.waitFor('ready', wf, 30 * 60_000).then((at) => (readyCount++, at)));
      if (now() - lastLog > 10_000) {
        lastLog = now();
        cfg.log(
          `  pending ramp: ${runs.length}/${cfg.n} started, ${readyCount} waiting, worker RSS ${Math.round(bench.worker.rssMb())} MB`,
        );
      }
    });
    failOn(started.errors, 'pending proposals');
    startMs += started.elapsedMs;
    readyMs += Math.max(...(await Promise.all(readiness))) - t0;
    await sleep(2_000);
    checkpoints.push({ waiting: mark, rssMb: await settledRss(bench), ...(await heapAfterGc(bench, mark)) });
    const point = checkpoints[checkpoints.length - 1]!;
    cfg.log(`  ${mark} waiting: worker RSS ${point.rssMb} MB; heap after GC ${point.heapMb ?? '?'} MB (${point.heapScope})`);
  }
  const settledRssMb = checkpoints[checkpoints.length - 1]!.rssMb;
  cfg.log(`  ${cfg.n} waiting: worker RSS ${settledRssMb} MB (before ${before} MB)`);

  // Timed once the server and worker are idle, as the empty system's decisions are: the last
  // checkpoint's forced GC and the server's writes for the last runs would otherwise land under
  // the first decisions.
  await settled([...bench.serverPids(), ...bench.workerPids()]);
  const { sample, rest } = spreadSample(runs, cfg.sample);
  const lat = await gatehouseLatency(bench, sample, cfg.rate, 'sdk', into);

  const drain = await closedLoop(rest, cfg.lanes, async ({ wf, id }) => {
    await decideSdk(bench, wf, id, SINGLE);
    await bench.worker.waitFor('commit', wf, 10 * 60_000);
  });
  failOn(drain.errors, 'draining the pending approvals');
  const afterDrain = await settledRss(bench);

  const cache = bench.tuning.maxCachedWorkflows ?? 0;
  const beyondCache = checkpoints.filter((c) => c.waiting >= cache);
  const rssSlope = slopeKb(beyondCache.map((c) => ({ waiting: c.waiting, mb: c.rssMb })));
  const heapPoints = beyondCache.flatMap((c) => (c.heapMb === undefined ? [] : [{ waiting: c.waiting, mb: c.heapMb }]));
  const heapSlope = slopeKb(heapPoints);
  return {
    n: cfg.n,
    maxCachedWorkflows: cache,
    startedPerSec: round((cfg.n * 1000) / startMs),
    readyPerSec: round((cfg.n * 1000) / readyMs),
    rssMb: { before, checkpoints, settled: settledRssMb, afterDrain },
    kbPerPendingBeyondCache: rssSlope?.kb ?? null,
    kbPerPendingBeyondCacheStdErr: rssSlope?.stdErrKb ?? null,
    heapKbPerPendingBeyondCache: heapSlope?.kb ?? null,
    heapScope: checkpoints[checkpoints.length - 1]!.heapScope,
    heapBeforeMb: heapBefore.heapMb,
    decision: { sdkToCommit: summarize(lat.toActivity), sdkResponse: summarize(lat.response), histogram: histogram(lat.toActivity) },
    drainPerSec: round((rest.length * 1000) / drain.elapsedMs),
  };
}

/** A sample spread over the whole set (most of it long evicted from the cache), and the rest. */
function spreadSample<T extends { wf: string }>(runs: T[], size: number): { sample: T[]; rest: T[] } {
  const step = Math.max(1, Math.floor(runs.length / size));
  const sample = runs.filter((_, i) => i % step === 0).slice(0, size);
  const sampled = new Set(sample.map((r) => r.wf));
  return { sample, rest: runs.filter((r) => !sampled.has(r.wf)) };
}

export interface FloorPendingFigures {
  n: number;
  startedPerSec: number;
  /** Runs waiting per second, from the first start to the last run's wait. */
  readyPerSec: number;
  /** Decided by Update, as Gatehouse's SDK decisions are, at the same open-loop rate. */
  decision: { updateToActivity: Summary; updateResponse: Summary; histogram: Record<string, number> };
}

/**
 * The floor under the same load: n floor runs waiting on the same worker options (so the same
 * cache), then a sample spread over them decided at the same rate. What a decision on a run long
 * evicted from the cache costs Temporal itself, with nothing of Gatehouse in it: the yardstick for
 * the approval's own figure with n waiting.
 */
export async function measureFloorPending(
  bench: Bench,
  cfg: { n: number; submitters: number; rate: number; sample: number; lanes: number; log: (s: string) => void },
  into = emptySamples(),
): Promise<FloorPendingFigures> {
  const pool = await floorPool(bench, cfg.n, cfg.submitters, 30 * 60_000);
  cfg.log(`  ${cfg.n} floor runs waiting (${round(pool.readyPerSec)}/s from the first start)`);
  await settled([...bench.serverPids(), ...bench.workerPids()]);
  const { sample, rest } = spreadSample(pool.runs, cfg.sample);
  const lat = await floorLatency(bench, sample, cfg.rate, into, 'update');
  const drain = await closedLoop(rest, cfg.lanes, async ({ wf }) => {
    await signalFloor(bench, wf);
    await bench.worker.waitFor('floor', wf, 10 * 60_000);
  });
  failOn(drain.errors, 'draining the waiting floor runs');
  return {
    n: cfg.n,
    startedPerSec: round(pool.startedPerSec),
    readyPerSec: round(pool.readyPerSec),
    decision: {
      updateToActivity: summarize(lat.toActivity),
      updateResponse: summarize(lat.response),
      histogram: histogram(lat.toActivity),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The correctness gate

export interface Gate {
  correct: boolean;
  gatehouseStarted: number;
  gatehouseSucceeded: number;
  floorStarted: number;
  floorCompleted: number;
  running: number;
  missingCommits: number;
  duplicateCommits: number;
  decisionsAccepted: number;
  decisionFailures: number;
  auditDecisionEntries: number;
  auditChainOk: boolean;
  problems: string[];
}

export async function correctnessGate(bench: Bench, timeoutMs = 120_000): Promise<Gate> {
  const problems: string[] = [];
  const count = async (q: string) => (await bench.client.workflow.count(q)).count;
  const until = now() + timeoutMs;
  let running: number;
  let succeeded: number;
  let floorCompleted: number;
  for (;;) {
    running = await count(`(TaskQueue = "${GATEHOUSE_QUEUE}" OR TaskQueue = "${FLOOR_QUEUE}") AND ExecutionStatus = "Running"`);
    succeeded = await count(`TaskQueue = "${GATEHOUSE_QUEUE}" AND ExecutionStatus = "Completed" AND GatehouseStatus = "succeeded"`);
    floorCompleted = await count(`TaskQueue = "${FLOOR_QUEUE}" AND ExecutionStatus = "Completed"`);
    const done = running === 0 && succeeded === bench.expect.gatehouse.size && floorCompleted === bench.expect.floor.size;
    if (done || now() > until) break;
    await sleep(500);
  }
  if (running !== 0) problems.push(`${running} runs still running`);
  if (succeeded !== bench.expect.gatehouse.size) problems.push(`${succeeded} of ${bench.expect.gatehouse.size} approval runs succeeded`);
  if (floorCompleted !== bench.expect.floor.size) problems.push(`${floorCompleted} of ${bench.expect.floor.size} floor runs completed`);

  let missing = 0;
  let duplicates = 0;
  const { commits, floors } = bench.worker;
  for (const wf of bench.expect.gatehouse) {
    const n = commits.get(wf)?.length ?? 0;
    if (n === 0) missing++;
    if (n > 1) duplicates++;
  }
  for (const wf of bench.expect.floor) {
    const n = floors.get(wf)?.length ?? 0;
    if (n === 0) missing++;
    if (n > 1) duplicates++;
  }
  if (missing > 0) problems.push(`${missing} runs never committed`);
  if (duplicates > 0) problems.push(`${duplicates} runs committed more than once`);
  if (bench.expect.decisionFailures.length > 0)
    problems.push(`${bench.expect.decisionFailures.length} decisions failed: ${bench.expect.decisionFailures[0]}`);

  // One chain per worker process; together they hold every accepted decision once.
  const files = bench.auditLogFiles.filter((file) => existsSync(file));
  const chains = files.map((file) => verifyChain(file));
  const chain = chains.find((c) => !c.ok) ?? chains[0] ?? { ok: false, reason: 'no audit file written' };
  if (!chain.ok) problems.push(`audit chain broken: ${chain.reason}`);
  const auditDecisionEntries = files
    .flatMap((file) => readFileSync(file, 'utf8').split('\n'))
    .filter((l) => l.includes('"kind":"decision"')).length;
  if (auditDecisionEntries !== bench.expect.decisionsAccepted) {
    problems.push(`audit log holds ${auditDecisionEntries} decisions, ${bench.expect.decisionsAccepted} were accepted`);
  }
  return {
    correct: problems.length === 0,
    gatehouseStarted: bench.expect.gatehouse.size,
    gatehouseSucceeded: succeeded,
    floorStarted: bench.expect.floor.size,
    floorCompleted,
    running,
    missingCommits: missing,
    duplicateCommits: duplicates,
    decisionsAccepted: bench.expect.decisionsAccepted,
    decisionFailures: bench.expect.decisionFailures.length,
    auditDecisionEntries,
    auditChainOk: chain.ok,
    problems,
  };
}

export { histogram, summarize };
