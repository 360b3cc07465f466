/**
 * Remembers the signatures of accepted Slack requests for as long as their timestamp is accepted,
 * so a captured request replayed within the window is refused. One process's memory: behind
 * several replicas a replay may reach another one, where the workflow still dedupes the decision
 * by its nonce (one per card), so a replay never decides twice.
 */
import { SLACK_TIMESTAMP_TOLERANCE_S, SlackSignatureError } from './signature';

export interface ReplayCache {
  /** @throws {@link SlackSignatureError} (`replayed`) when `signature` was seen within the window. */
  admit(signature: string, nowMs: number): void;
}

export function createReplayCache(options: { windowMs?: number; maxEntries?: number } = {}): ReplayCache {
  // Twice the tolerance: a request stamped 5 min in the future stays acceptable for 10 min.
  const windowMs = options.windowMs ?? 2 * SLACK_TIMESTAMP_TOLERANCE_S * 1000;
  const maxEntries = options.maxEntries ?? 100_000;
  // Insertion order is expiry order, so pruning walks from the front.
  const seen = new Map<string, number>();
  return {
    admit(signature, nowMs) {
      for (const [key, expires] of seen) {
        if (expires > nowMs) break;
        seen.delete(key);
      }
      if (seen.has(signature)) throw new SlackSignatureError('replayed');
      // Full of live entries: refusing is safer than forgetting one that could then be replayed.
      if (seen.size >= maxEntries) throw new SlackSignatureError('replayed');
      seen.set(signature, nowMs + windowMs);
    },
  };
}
