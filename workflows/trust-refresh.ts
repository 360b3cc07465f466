/**
 * An open run adopts the keys its worker trusts now (refreshTrustSignal, `gatehouse keys
 * refresh`). A run records the decision, grant, operator and agent keys of its worker at its start,
 * so without this a key added later (the next grant key) is never trusted by it, and a key removed
 * later (a revoked agent key) still verifies its withdrawals and revisions until it closes.
 */
import { log, patched } from '@temporalio/workflow';
import type { MessageKeys } from '../src/domain/agent-auth';
import { isTerminal } from '../src/domain/status';
import type { TrustedKeys } from '../src/domain/trusted-keys';
import { readTrust } from './activity-proxies';
import type { Run } from './run-context';

/**
 * A refresh within this long (workflow time) of the last one is ignored: anyone may send the
 * signal, and each refresh adds a marker to the run's history, so it must not grow without end.
 */
export const TRUST_REFRESH_INTERVAL_MS = 60_000;

/** Replaces the keys the run checks decisions, withdrawals and revisions with. */
export type AdoptTrust = (keys: TrustedKeys, messageKeys: MessageKeys) => void;

/** The handler of refreshTrustSignal for one run; it keeps the time of that run's last refresh. */
export function createTrustRefresh(run: Run, adopt: AdoptTrust): () => Promise<void> {
  let lastAt: number | undefined;
  return async function refreshTrust(): Promise<void> {
    const state = run.get();
    const ignore = (reason: string) => log.info('trust refresh ignored', { reason, workflowId: run.workflowId });
    // Before the policy step the run has no keys to replace: that step reads these same ones.
    if (!state.evaluation) return ignore('the run has not read its keys yet');
    if (isTerminal(state.status)) return ignore(`the run is ${state.status}`);
    if (lastAt !== undefined && Date.now() - lastAt < TRUST_REFRESH_INTERVAL_MS)
      return ignore(`the run refreshed its keys less than ${TRUST_REFRESH_INTERVAL_MS / 1000} s ago`);
    // The handler is registered in every run, old ones included, and adds commands only when the
    // signal comes, so histories without the signal replay unchanged and runs started before it
    // existed take it like new ones. The patch covers one case more: during a rolling deploy a
    // worker still on the old code may receive the signal, buffer it (it has no handler) and add
    // nothing. A new worker replaying that history meets the signal with no marker behind it:
    // patched() is false there and the refresh is skipped, where it would otherwise schedule a
    // local activity the history does not have. It costs a marker on a run's first refresh only.
    if (!patched('refresh-trust')) return;
    lastAt = Date.now();
    const current = await readTrust({ agentId: state.proposal.agent.id });
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
