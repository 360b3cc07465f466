/**
 * Two ways to apply load. Open loop: operations start on a fixed schedule whatever the system
 * does (no coordinated omission); latency counts from the scheduled time. Closed loop: N lanes,
 * each starting its next operation when the last one ends, for saturation throughput.
 */
import { now, sleep } from './clock';

export interface OpenLoopResult {
  /** Operations that threw; their errors, in order. */
  errors: unknown[];
  elapsedMs: number;
}

/** Starts `fn(item, scheduledAt)` for each item at `ratePerSec`, then waits for all of them. */
export async function openLoop<T>(
  items: readonly T[],
  ratePerSec: number,
  fn: (item: T, scheduledAt: number) => Promise<void>,
): Promise<OpenLoopResult> {
  const start = now() + 5;
  const interval = 1_000 / ratePerSec;
  const errors: unknown[] = [];
  const running: Promise<void>[] = [];
  for (let i = 0; i < items.length; i++) {
    const at = start + i * interval;
    const wait = at - now();
    if (wait > 1) await sleep(wait);
    running.push(fn(items[i]!, at).catch((err: unknown) => void errors.push(err)));
  }
  await Promise.all(running);
  return { errors, elapsedMs: now() - start };
}

/** Runs `fn` over the items with `lanes` in flight at most; returns the wall time taken. */
export async function closedLoop<T>(items: readonly T[], lanes: number, fn: (item: T) => Promise<void>): Promise<OpenLoopResult> {
  const start = now();
  const errors: unknown[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  return { errors, elapsedMs: now() - start };
}
