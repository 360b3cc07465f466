/**
 * One clock for every process of the bench: wall-clock origin plus a monotonic offset, so a
 * timestamp taken in the worker process compares with one taken in the driver to well under 1 ms.
 */
import { performance } from 'node:perf_hooks';

export function now(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
