/**
 * Keeps a long side effect visibly alive. Without heartbeats, a worker that dies in the middle of
 * a commit is only noticed when the attempt's start-to-close timeout runs out (30 s); with them,
 * the server retries on another worker once the heartbeat timeout passes (see activity-proxies).
 */
import { Context } from '@temporalio/activity';

/** How often the running attempt tells the server it is alive; well under the heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 1_000;

export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  // A local step has no heartbeat: it lives inside its run's workflow task, which the SDK keeps
  // alive, and a worker that dies is noticed when that task times out.
  if (ctx.info.isLocal) return work();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
