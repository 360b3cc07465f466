/**
 * Per-process CPU time and RSS from /proc (the omes process-metrics method). CPU per operation
 * holds up on a shared machine where wall-clock rates do not: other jobs slow a run down, but
 * they do not make our processes spend more CPU per approval.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SEC = 100; // USER_HZ on Linux

/** User + system CPU time of a process (all its threads), in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SEC;
}

/** CPU ms of each process still alive; one that ended since the list was taken is left out. */
function cpuByPid(pids: number[]): Map<number, number> {
  const by = new Map<number, number>();
  for (const pid of pids) {
    try {
      by.set(pid, cpuMs(pid));
    } catch {
      // Ended: a PostgreSQL backend closed by its pool, say.
    }
  }
  return by;
}

/**
 * Waits until the given processes together use less than `busyShare` of one core over a 250 ms
 * window (or `maxMs` passed): after a pool of runs starts, the server still writes their
 * visibility records and timers for a while, and decisions timed during that measure the backlog.
 */
export async function settled(pids: number[], options: { busyShare?: number; maxMs?: number } = {}): Promise<void> {
  const busyShare = options.busyShare ?? 0.1;
  const until = Date.now() + (options.maxMs ?? 10_000);
  const windowMs = 250;
  while (Date.now() < until) {
    const before = cpuByPid(pids);
    await new Promise((r) => setTimeout(r, windowMs));
    const after = cpuByPid(pids);
    const used = [...after].reduce((s, [pid, ms]) => s + ms - (before.get(pid) ?? ms), 0);
    if (used < busyShare * windowMs) return;
  }
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** CPU ms spent by the worker, the server and this driver per operation. */
export interface CpuPerOp {
  worker: number;
  server: number;
  driver: number;
}

/**
 * `worker` and `server` list their processes when asked: a cluster's server is several processes,
 * and PostgreSQL's backends start during a measurement (counted from 0) or end (left out).
 */
export function cpuMeter(pids: { worker: () => number[]; server: () => number[] }): () => (ops: number) => CpuPerOp {
  const spent = (before: Map<number, number>, now: number[]): number =>
    [...cpuByPid(now)].reduce((s, [pid, ms]) => s + ms - (before.get(pid) ?? 0), 0);
  return () => {
    const w0 = cpuByPid(pids.worker());
    const s0 = cpuByPid(pids.server());
    const d0 = process.cpuUsage();
    return (ops) => {
      const d = process.cpuUsage(d0);
      return {
        worker: spent(w0, pids.worker()) / ops,
        server: spent(s0, pids.server()) / ops,
        driver: (d.user + d.system) / 1000 / ops,
      };
    };
  };
}
