/**
 * `npm run bench -- --cluster`: the decision path's figures on the dev server and on a Temporal
 * cluster (`temporal-dev.sh cluster up`: five services on PostgreSQL), each as ratios to the floor
 * measured on the same server, with the same workloads as the main bench (closed-loop lifecycles
 * for throughput and CPU, open-loop SDK decisions for decision → commit). The open-loop rate is
 * set on the dev server and kept for the cluster, so both carry the same load. On the cluster the
 * throughput blocks run again with a second worker process on the same task queues.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { createBench, type Bench } from './context';
import {
  correctnessGate,
  floorLatency,
  floorPool,
  floorThroughput,
  gatehouseLatency,
  gatehousePool,
  gatehouseThroughput,
  type Gate,
  type LatencySamples,
  type Throughput,
} from './phases';
import { settled } from './proc';
import { median, ratio, round, summarize } from './stats';

export interface ClusterPlan {
  maxCachedWorkflows: number;
  minRate: number;
  warmup: number;
  blocks: number;
  throughputCount: number;
  lanes: number;
  poolSize: number;
  submitters: number;
}

type Log = (line: string) => void;

interface Lifecycles {
  completedPerSec: { floor: number; gatehouse: number };
  cpuMsPerLifecycle: { floor: CpuFigures; gatehouse: CpuFigures };
}

interface CpuFigures {
  worker: number;
  server: number;
}

const cpuOf = (runs: Throughput[]): CpuFigures => ({
  worker: round(median(runs.map((t) => t.cpuMsPerOp.worker))),
  server: round(median(runs.map((t) => t.cpuMsPerOp.server))),
});

async function throughputBlocks(bench: Bench, plan: ClusterPlan, label: string, log: Log): Promise<Lifecycles> {
  const tp = { floor: [] as Throughput[], gatehouse: [] as Throughput[] };
  for (let b = 0; b < plan.blocks; b++) {
    const order = b % 2 === 0 ? (['floor', 'gatehouse'] as const) : (['gatehouse', 'floor'] as const);
    for (const side of order) {
      const t =
        side === 'floor'
          ? await floorThroughput(bench, plan.throughputCount, plan.lanes)
          : await gatehouseThroughput(bench, plan.throughputCount, plan.lanes);
      tp[side].push(t);
      log(
        `${label} block ${b + 1}: ${side} ${t.perSec.toFixed(1)}/s; CPU ms per lifecycle worker ${t.cpuMsPerOp.worker.toFixed(1)}, server ${t.cpuMsPerOp.server.toFixed(1)}`,
      );
    }
  }
  return {
    completedPerSec: { floor: round(median(tp.floor.map((t) => t.perSec))), gatehouse: round(median(tp.gatehouse.map((t) => t.perSec))) },
    cpuMsPerLifecycle: { floor: cpuOf(tp.floor), gatehouse: cpuOf(tp.gatehouse) },
  };
}

async function measureTarget(bench: Bench, plan: ClusterPlan, cluster: boolean, fixedRate: number | undefined, log: Log) {
  const label = cluster ? 'cluster' : 'dev server';
  await floorThroughput(bench, plan.warmup, plan.lanes);
  await gatehouseThroughput(bench, plan.warmup, plan.lanes);
  const one = await throughputBlocks(bench, plan, label, log);
  const rate = fixedRate ?? Math.max(plan.minRate, Math.min(40, Math.round(one.completedPerSec.gatehouse / 2)));
  log(`${label}: open-loop decision rate ${rate}/s`);
  const lat: { floor: LatencySamples; sdk: LatencySamples } = {
    floor: { toActivity: [], response: [] },
    sdk: { toActivity: [], response: [] },
  };
  const quiet = () => settled([...bench.serverPids(), ...bench.workerPids()]);
  for (let b = 0; b < plan.blocks; b++) {
    const floorStep = async () => {
      const pool = await floorPool(bench, plan.poolSize, plan.submitters);
      await quiet();
      await floorLatency(bench, pool.runs, rate, lat.floor, 'signal');
    };
    const gatehouseStep = async () => {
      const pool = await gatehousePool(bench, 'bench.single', plan.poolSize, plan.submitters);
      await quiet();
      await gatehouseLatency(bench, pool.runs, rate, 'sdk', lat.sdk);
    };
    for (const step of b % 2 === 0 ? [floorStep, gatehouseStep] : [gatehouseStep, floorStep]) await step();
    log(
      `${label} block ${b + 1}: decision→activity p50 floor ${summarize(lat.floor.toActivity).p50} ms, gatehouse ${summarize(lat.sdk.toActivity).p50} ms`,
    );
  }
  const floor = summarize(lat.floor.toActivity);
  const gatehouse = summarize(lat.sdk.toActivity);
  let twoWorkers: Lifecycles | undefined;
  if (cluster) {
    await bench.addWorker();
    await gatehouseThroughput(bench, plan.warmup, plan.lanes);
    twoWorkers = await throughputBlocks(bench, plan, `${label}, two workers`, log);
  }
  const gate: Gate = await correctnessGate(bench);
  log(`${label}: correctness gate ${gate.correct ? 'held' : `FAILED: ${gate.problems.join('; ')}`}`);
  return {
    server: bench.server.version,
    rate,
    ...one,
    decisionToCommitMs: { floor, gatehouse },
    ratios: {
      decisionLatencyP50: ratio(gatehouse.p50, floor.p50),
      decisionLatencyP99: ratio(gatehouse.p99, floor.p99),
      throughput: ratio(one.completedPerSec.gatehouse, one.completedPerSec.floor),
    },
    ...(twoWorkers
      ? {
          twoWorkers: {
            ...twoWorkers,
            /** Gatehouse lifecycles/s with two worker processes ÷ with one. */
            throughputVsOne: ratio(twoWorkers.completedPerSec.gatehouse, one.completedPerSec.gatehouse),
            /** Worker CPU per Gatehouse lifecycle (both processes) ÷ with one. */
            workerCpuVsOne: ratio(twoWorkers.cpuMsPerLifecycle.gatehouse.worker, one.cpuMsPerLifecycle.gatehouse.worker),
          },
        }
      : {}),
    gate,
  };
}

export type TargetFigures = Awaited<ReturnType<typeof measureTarget>>;

export async function runClusterBench(plan: ClusterPlan, log: Log) {
  const loadAtStart = loadavg()[0]!;
  const targets: { dev?: TargetFigures; cluster?: TargetFigures } = {};
  for (const cluster of [false, true]) {
    const bench = await createBench({ maxCachedWorkflows: plan.maxCachedWorkflows, log, cluster });
    try {
      targets[cluster ? 'cluster' : 'dev'] = await measureTarget(bench, plan, cluster, targets.dev?.rate, log);
    } finally {
      await bench.close();
    }
  }
  const dev = targets.dev!;
  const cluster = targets.cluster!;
  const cpu = cpus();
  return {
    meta: {
      date: new Date().toISOString(),
      machine: { nproc: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryGb: round(totalmem() / 2 ** 30, 1) },
      loadAverage: { start: round(loadAtStart, 2), end: round(loadavg()[0]!, 2) },
      plan,
    },
    dev,
    cluster,
    /** Each cluster ratio ÷ the dev server's: the goal is within 1.5. */
    clusterVsDev: {
      decisionLatencyP50: ratio(cluster.ratios.decisionLatencyP50, dev.ratios.decisionLatencyP50),
      decisionLatencyP99: ratio(cluster.ratios.decisionLatencyP99, dev.ratios.decisionLatencyP99),
      throughput: ratio(dev.ratios.throughput, cluster.ratios.throughput),
    },
    correct: dev.gate.correct && cluster.gate.correct,
  };
}

export type ClusterBenchResult = Awaited<ReturnType<typeof runClusterBench>>;

export function renderClusterTable(r: ClusterBenchResult): string {
  const row = (name: string, d: string | number, c: string | number) => `| ${name} | ${d} | ${c} |`;
  const two = r.cluster.twoWorkers;
  const lines = [
    `Gatehouse on the dev server and on a Temporal cluster, ${r.meta.date.slice(0, 10)}, ${r.meta.machine.nproc} cores (${r.meta.machine.cpuModel}), load ${r.meta.loadAverage.start} → ${r.meta.loadAverage.end}`,
    '',
    '| figure | dev server | cluster |',
    '|---|---|---|',
    row(
      'decision → commit p50 (floor), ms',
      `${r.dev.decisionToCommitMs.gatehouse.p50} (${r.dev.decisionToCommitMs.floor.p50})`,
      `${r.cluster.decisionToCommitMs.gatehouse.p50} (${r.cluster.decisionToCommitMs.floor.p50})`,
    ),
    row(
      'decision → commit p99 (floor), ms',
      `${r.dev.decisionToCommitMs.gatehouse.p99} (${r.dev.decisionToCommitMs.floor.p99})`,
      `${r.cluster.decisionToCommitMs.gatehouse.p99} (${r.cluster.decisionToCommitMs.floor.p99})`,
    ),
    row(
      'p50 ratio to floor',
      r.dev.ratios.decisionLatencyP50,
      `${r.cluster.ratios.decisionLatencyP50} (${r.clusterVsDev.decisionLatencyP50}× dev's)`,
    ),
    row(
      'p99 ratio to floor',
      r.dev.ratios.decisionLatencyP99,
      `${r.cluster.ratios.decisionLatencyP99} (${r.clusterVsDev.decisionLatencyP99}× dev's)`,
    ),
    row(
      'lifecycles/s (floor)',
      `${r.dev.completedPerSec.gatehouse} (${r.dev.completedPerSec.floor})`,
      `${r.cluster.completedPerSec.gatehouse} (${r.cluster.completedPerSec.floor})`,
    ),
    row('throughput ratio to floor', r.dev.ratios.throughput, r.cluster.ratios.throughput),
    row(
      'CPU ms per lifecycle: worker / server',
      `${r.dev.cpuMsPerLifecycle.gatehouse.worker} / ${r.dev.cpuMsPerLifecycle.gatehouse.server}`,
      `${r.cluster.cpuMsPerLifecycle.gatehouse.worker} / ${r.cluster.cpuMsPerLifecycle.gatehouse.server}`,
    ),
    ...(two
      ? [
          row(
            'two workers: lifecycles/s (floor)',
            '',
            `${two.completedPerSec.gatehouse} (${two.completedPerSec.floor}); ${two.throughputVsOne}× one worker`,
          ),
          row(
            'two workers: CPU ms per lifecycle: worker / server',
            '',
            `${two.cpuMsPerLifecycle.gatehouse.worker} / ${two.cpuMsPerLifecycle.gatehouse.server}; worker ${two.workerCpuVsOne}× one`,
          ),
        ]
      : []),
    row('correctness gate', r.dev.gate.correct ? 'held' : 'FAILED', r.cluster.gate.correct ? 'held' : 'FAILED'),
    '',
  ];
  return lines.join('\n');
}
