/**
 * An open run adopts the keys its worker trusts now (refreshTrustSignal, `gatehouse keys
 * refresh`). A run records the decision, grant, operator and agent keys of its worker at its start,
 * so without this a key added later (the next grant key) is never trusted by it, and a key removed
 * later (a revoked agent key) still verifies its withdrawals and revisions until it closes.
 */
import { condition, log, patched } from '@temporalio/workflow';
import type { MessageKeys } from '../src/domain/agent-auth';
import { isTerminal } from '../src/domain/status';
import type { TrustedKeys } from '../src/domain/trusted-keys';
import { readTrust } from './activity-proxies';
import type { Run } from './run-context';

/**
 * Refreshes are at least this far apart (workflow time): anyone may send the signal, and each
 * refresh adds a marker to the run's history, so it must not grow without end. A signal that
 * comes sooner is deferred to then, never dropped: a revocation an operator refreshes right after
 * an earlier refresh (someone else's, or the signal a rolling deploy's old worker answered with
 * the old keys) must still take effect.
 */
export const TRUST_REFRESH_INTERVAL_MS = 60_000;

/** Replaces the keys the run checks decisions, withdrawals and revisions with. */
export type AdoptTrust = (keys: TrustedKeys, messageKeys: MessageKeys) => void;

/** The handler of refreshTrustSignal for one run; it keeps the time of that run's last refresh. */
export function createTrustRefresh(run: Run, adopt: AdoptTrust): () => Promise<void> {
  let lastAt: number | undefined;
  // One deferred refresh at most: it reads the keys when it runs, so it serves every signal that
  // came while it waited.
  let queued = false;
  const closed = () => isTerminal(run.get().status);
  const ignore = (reason: string) => log.info('trust refresh ignored', { reason, workflowId: run.workflowId });
  return async function refreshTrust(): Promise<void> {
    if (closed()) return ignore(`the run is ${run.get().status}`);
    if (queued) return ignore('a refresh is already queued; it reads the keys when it runs');
    // The handler is registered in every run, old ones included, and adds commands only when the
    // signal comes, so histories without the signal replay unchanged and runs started before it
    // existed take it like new ones. The patch covers one case more: during a rolling deploy a
    // worker still on the old code may receive the signal, buffer it (it has no handler) and add
    // nothing. A new worker replaying that history meets the signal with no marker behind it:
    // patched() is false there and the refresh is skipped, where it would otherwise schedule a
    // local activity the history does not have. It costs a marker on a run's first refresh only,
    // and comes before the deferral's timer for the same reason.
    if (!patched('refresh-trust')) return;
    queued = true;
    // Before the policy step the run has no keys to replace; that step may have read them before
    // the change the signal announces, so the refresh waits for it rather than being dropped.
    await condition(() => run.get().evaluation !== undefined || closed());
    const wait = lastAt === undefined ? 0 : lastAt + TRUST_REFRESH_INTERVAL_MS - Date.now();
    // A run that closes meanwhile stops waiting (its end waits for every handler to finish); a run
    // handing over refreshes at once, so the continuation gets the keys and no stream of signals
    // can hold the hand-over off (that costs one early refresh per hand-over, no more).
    if (wait > 0) await condition(() => closed() || run.handingOver, wait);
    queued = false;
    if (closed()) return ignore(`the run is ${run.get().status}`);
    lastAt = Date.now();
    const current = await readTrust({ agentId: run.get().proposal.agent.id });
    // Replaced, not merged: a key the worker no longer lists is revoked for this run too.
    adopt(current.trustedKeys, current.messageKeys);
    log.info('trust refreshed', {
      workflowId: run.workflowId,
      grantKeys: Object.keys(current.trustedKeys.grants),
      decisionKeys: Object.keys(current.trustedKeys.decision),
      agentKeys: Object.keys(current.messageKeys.agent),
    });
  };
}
