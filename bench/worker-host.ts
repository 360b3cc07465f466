/**
 * The driver's side of the worker process: starts it, collects what it reports (commit starts,
 * floor activity starts, mails), lets the driver wait for one workflow's event, and reads its RSS.
 */
import type { ChildProcess } from 'node:child_process';
import { sleep } from './clock';
import { forkBenchProcess } from './fork-process';
import { rssMb } from './proc';
import type { WorkerEvent, WorkerProcessConfig } from './worker-options';

type Kind = 'commit' | 'floor' | 'ready' | 'waiting';

export interface WorkerHost {
  pid: number;
  startMs: number;
  /** Start times of every commit (or floor activity) per workflow id; more than one is a duplicate. */
  commits: Map<string, number[]>;
  floors: Map<string, number[]>;
  /** First review-requested mail per workflow id: the run is awaiting a decision. */
  readyAt: Map<string, number>;
  /** Floor runs that reached their wait (reported by a sink, outside history). */
  waitingAt: Map<string, number>;
  /** Resolves with the time of the event (at once if it already happened). */
  waitFor(kind: Kind, wf: string, timeoutMs?: number): Promise<number>;
  rssMb(): number;
  /**
   * The worker's main-thread heap after a GC (run the worker with BENCH_WORKER_EXEC_ARGV=--expose-gc
   * for the GC; with BENCH_WORKER_DEBUG_MODE=1 workflows run on that thread too, so their heap
   * is included), and a heap snapshot written to `snapshotFile` when given.
   */
  memory(snapshotFile?: string): Promise<Omit<Extract<WorkerEvent, { type: 'memory' }>, 'type'>>;
  stop(): Promise<void>;
}

/** Message-IDs carry the workflow id with unsafe characters replaced (src/domain/ids.ts). */
export function safeWorkflowId(wf: string): string {
  return wf.replace(/[^A-Za-z0-9._-]/g, '-');
}

/** `compiled`: the worker process built to plain JavaScript by bench/bundle.ts. */
export async function startWorkerProcess(compiled: string, config: WorkerProcessConfig): Promise<WorkerHost> {
  // BENCH_WORKER_SCRIPT runs another worker entry: a way to try a product change (another bundle,
  // other worker options) against the same driver without editing the product's files. A .ts
  // entry runs under tsx, with the source-map cost that brings (see bench/bundle.ts).
  const child: ChildProcess = forkBenchProcess(process.env['BENCH_WORKER_SCRIPT'] ?? compiled, {
    // --expose-gc lets memory() collect the main thread before RSS is read.
    execArgv: ['--expose-gc'],
    execArgvEnv: 'BENCH_WORKER_EXEC_ARGV',
    env: { BENCH_WORKER: JSON.stringify(config) },
  });
  const commits = new Map<string, number[]>();
  const floors = new Map<string, number[]>();
  const readyAt = new Map<string, number>();
  const readyBySafe = new Map<string, number>();
  const waitingAt = new Map<string, number>();
  const waiters = new Map<string, ((at: number) => void)[]>();
  const key = (kind: Kind, wf: string) => `${kind}|${kind === 'ready' ? safeWorkflowId(wf) : wf}`;
  const fire = (k: string, at: number) => {
    const list = waiters.get(k);
    if (!list) return;
    waiters.delete(k);
    for (const w of list) w(at);
  };
  let exited = false;
  let startup: { ok: (ms: number) => void; fail: (e: Error) => void } | undefined;
  const started = new Promise<number>((ok, fail) => (startup = { ok, fail }));
  const memoryReplies: ((m: Extract<WorkerEvent, { type: 'memory' }>) => void)[] = [];
  child.on('message', (raw: WorkerEvent) => {
    switch (raw.type) {
      case 'ready':
        startup?.ok(raw.startMs);
        break;
      case 'failed':
        startup?.fail(new Error(raw.message));
        break;
      case 'memory':
        memoryReplies.shift()?.(raw);
        break;
      case 'commit':
      case 'floor': {
        const map = raw.type === 'commit' ? commits : floors;
        const list = map.get(raw.wf) ?? [];
        list.push(raw.at);
        map.set(raw.wf, list);
        if (list.length === 1) fire(key(raw.type, raw.wf), raw.at);
        break;
      }
      case 'waiting':
        if (!waitingAt.has(raw.wf)) {
          waitingAt.set(raw.wf, raw.at);
          fire(key('waiting', raw.wf), raw.at);
        }
        break;
      case 'mail': {
        // <workflow.r1.review_requested.reviewer@host>: the first such mail marks the run ready.
        const m = /^<(.+)\.r(\d+)\.review_requested\.[^.@]+@/.exec(raw.messageId);
        if (m && !readyBySafe.has(m[1]!)) {
          readyBySafe.set(m[1]!, raw.at);
          fire(`ready|${m[1]}`, raw.at);
        }
        break;
      }
      default: {
        const unreachable: never = raw;
        throw new Error(`unknown worker event ${JSON.stringify(unreachable)}`);
      }
    }
  });
  child.once('exit', (code) => {
    exited = true;
    startup?.fail(new Error(`worker process exited with code ${code}`));
  });
  const startMs = await started;

  const host: WorkerHost = {
    pid: child.pid!,
    startMs,
    commits,
    floors,
    readyAt,
    waitingAt,
    waitFor(kind, wf, timeoutMs = 60_000) {
      const known =
        kind === 'ready'
          ? readyBySafe.get(safeWorkflowId(wf))
          : kind === 'waiting'
            ? waitingAt.get(wf)
            : (kind === 'commit' ? commits : floors).get(wf)?.[0];
      if (known !== undefined) {
        if (kind === 'ready') readyAt.set(wf, known);
        return Promise.resolve(known);
      }
      return new Promise<number>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`timed out waiting for ${kind} of ${wf}`)), timeoutMs);
        const k = key(kind, wf);
        const list = waiters.get(k) ?? [];
        list.push((at) => {
          clearTimeout(timer);
          if (kind === 'ready') readyAt.set(wf, at);
          ok(at);
        });
        waiters.set(k, list);
      });
    },
    rssMb: () => rssMb(child.pid!),
    memory(snapshotFile) {
      return new Promise((ok) => {
        memoryReplies.push(({ type: _type, ...m }) => ok(m));
        child.send({ type: 'memory', ...(snapshotFile ? { snapshotFile } : {}) });
      });
    },
    async stop() {
      if (exited) return;
      child.send({ type: 'stop' });
      for (let i = 0; i < 100 && !exited; i++) await sleep(100);
      if (!exited) child.kill('SIGKILL');
    },
  };
  return host;
}

/**
 * Several worker processes on the same task queues seen as one: a run's events come from
 * whichever process ran its task, so each map is the union and `waitFor` takes the first report.
 */
export function combineWorkers(hosts: WorkerHost[]): WorkerHost {
  const union = <V>(pick: (h: WorkerHost) => Map<string, V>, join: (a: V, b: V) => V): Map<string, V> => {
    const merged = new Map<string, V>();
    for (const h of hosts) for (const [k, v] of pick(h)) merged.set(k, merged.has(k) ? join(merged.get(k)!, v) : v);
    return merged;
  };
  return {
    pid: hosts[0]!.pid,
    startMs: Math.max(...hosts.map((h) => h.startMs)),
    get commits() {
      return union(
        (h) => h.commits,
        (a, b) => [...a, ...b],
      );
    },
    get floors() {
      return union(
        (h) => h.floors,
        (a, b) => [...a, ...b],
      );
    },
    get readyAt() {
      return union((h) => h.readyAt, Math.min);
    },
    get waitingAt() {
      return union((h) => h.waitingAt, Math.min);
    },
    waitFor: (kind, wf, timeoutMs) => Promise.any(hosts.map((h) => h.waitFor(kind, wf, timeoutMs))),
    rssMb: () => hosts.reduce((s, h) => s + h.rssMb(), 0),
    memory: (snapshotFile) => hosts[0]!.memory(snapshotFile),
    stop: async () => {
      await Promise.all(hosts.map((h) => h.stop()));
    },
  };
}
