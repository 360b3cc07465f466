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
    const before = pids.reduce((s, pid) => s + cpuMs(pid), 0);
    await new Promise((r) => setTimeout(r, windowMs));
    const used = pids.reduce((s, pid) => s + cpuMs(pid), 0) - before;
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

export function cpuMeter(pids: { worker: number; server: number }): () => (ops: number) => CpuPerOp {
  return () => {
    const w0 = cpuMs(pids.worker);
    const s0 = cpuMs(pids.server);
    const d0 = process.cpuUsage();
    return (ops) => {
      const d = process.cpuUsage(d0);
      return {
        worker: (cpuMs(pids.worker) - w0) / ops,
        server: (cpuMs(pids.server) - s0) / ops,
        driver: (d.user + d.system) / 1000 / ops,
      };
    };
  };
}
