/**
 * The worker's audit upkeep, beside its runs: signs a checkpoint of the chain's head when no
 * append has (a checkpoint write that failed, a head moved by another worker), and records runs
 * that were terminated or timed out, which no workflow code could record. Every worker runs it;
 * appends are idempotent by entry id, so two sweeping at once record a run once.
 */
import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import type { AuditLog } from '../audit/chain';
import type { AnchoredAuditLog } from '../audit/checkpoint';
import { sweepTerminatedRuns } from '../audit/sweep';
import type { Logger } from '../observability/logger';

export interface AuditUpkeepOptions {
  log: AuditLog | AnchoredAuditLog;
  client: Client;
  taskQueue: string;
  logger: Logger;
  checkpointIntervalMs: number;
  /** 0: no sweep. */
  sweepIntervalMs: number;
}

const isAnchored = (log: AuditLog | AnchoredAuditLog): log is AnchoredAuditLog => 'checkpoint' in log;

/** Repeats `task` every `intervalMs`, never two at once, logging failures (the next round retries). */
function every(intervalMs: number, what: string, logger: Logger, task: () => Promise<void>): () => void {
  let running = false;
  const run = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      await task();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, `${what} failed; the next round retries`);
    } finally {
      running = false;
    }
  };
  void run();
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

export function startAuditUpkeep(options: AuditUpkeepOptions): () => void {
  const { log, logger } = options;
  const stops: Array<() => void> = [];
  if (isAnchored(log)) {
    stops.push(
      every(options.checkpointIntervalMs, 'audit checkpoint', logger, async () => {
        const checkpoint = await log.checkpoint();
        if (checkpoint) logger.debug({ seq: checkpoint.seq }, 'audit checkpoint signed');
      }),
    );
  }
  if (options.sweepIntervalMs > 0) {
    const terminated = Runtime.instance().metricMeter.createCounter(
      'gatehouse_runs_terminated',
      'runs',
      'Runs terminated or timed out outside the workflow, recorded by the audit sweep',
    );
    stops.push(
      every(options.sweepIntervalMs, 'audit sweep of terminated runs', logger, async () => {
        const { recorded } = await sweepTerminatedRuns({ client: options.client, taskQueue: options.taskQueue, log });
        if (recorded.length > 0) {
          terminated.add(recorded.length);
          logger.warn({ runs: recorded }, 'terminated or timed-out runs recorded in the audit log');
        }
      }),
    );
  }
  return () => stops.forEach((stop) => stop());
}
