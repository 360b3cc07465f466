/**
 * Takes back temporary access grants when they are due. Each worker sweeps every minute; the
 * sweep locks due rows with SKIP LOCKED, so workers sweeping at once split the work, and a grant
 * is late by at most one interval (plus the time no worker was running).
 */
import type { Logger } from '../observability/logger';

export const GRANT_EXPIRY_INTERVAL_MS = 60_000;

export function startGrantExpirySweep(
  sweeper: { revokeExpired(): Promise<string[]> },
  logger: Logger,
  intervalMs = GRANT_EXPIRY_INTERVAL_MS,
): () => void {
  let running = false;
  const sweep = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const revoked = await sweeper.revokeExpired();
      if (revoked.length > 0) logger.info({ revoked }, 'expired access grants revoked');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'access grant expiry sweep failed; next sweep retries');
    } finally {
      running = false;
    }
  };
  void sweep();
  const timer = setInterval(() => void sweep(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
