/**
 * Registers every update, signal and query of the run, one line each. Handlers are registered
 * before the first await: updates without a handler at the end of the first activation are
 * rejected, and buffered signals must meet the same checks as updates.
 */
import { setHandler } from '@temporalio/workflow';
import type { MessageKeys } from '../src/domain/agent-auth';
import type { TrustedKeys } from '../src/domain/trusted-keys';
import {
  acceptDecision,
  acceptRevision,
  acceptWithdrawal,
  applyDecision,
  applyDecisionSignal,
  applyFreshLinkRequest,
  applyRevision,
  applyWithdrawal,
} from './message-handlers';
import {
  decideSignal,
  decideUpdate,
  getStateQuery,
  refreshTrustSignal,
  requestFreshLinkSignal,
  reviseUpdate,
  withdrawUpdate,
} from './messages';
import type { Run } from './run-context';
import { boundedResult } from './run-result';
import { createTrustRefresh, type AdoptTrust } from './trust-refresh';

/**
 * `keys` verify decisions; `messageKeys` verify withdrawals and revisions (undefined until the
 * policy step ran); `adopt` replaces both when the run is told to refresh them.
 */
export function registerHandlers(run: Run, keys: () => TrustedKeys, messageKeys: () => MessageKeys | undefined, adopt: AdoptTrust): void {
  setHandler(decideUpdate, (signed) => applyDecision(run, signed, keys), {
    validator: (signed) => void acceptDecision(run, signed, keys()),
  });
  // Signals reaching the run's first task are events of its history: see workflows/first-task.ts.
  const counted =
    <A extends unknown[], R>(handler: (...args: A) => R) =>
    (...args: A): R => {
      run.firstTask.noteEvent();
      return handler(...args);
    };
  setHandler(
    decideSignal,
    counted((raw) => applyDecisionSignal(run, raw, keys)),
  );
  setHandler(reviseUpdate, (revision) => applyRevision(run, revision, messageKeys), {
    validator: (revision) => void acceptRevision(run, revision, messageKeys()),
  });
  setHandler(withdrawUpdate, (withdrawal) => applyWithdrawal(run, withdrawal, messageKeys), {
    validator: (withdrawal) => void acceptWithdrawal(run, withdrawal, messageKeys()),
  });
  setHandler(
    requestFreshLinkSignal,
    counted((raw) => applyFreshLinkRequest(run, raw)),
  );
  setHandler(refreshTrustSignal, counted(createTrustRefresh(run, adopt)));
  // Bounded like the run's result: a state past Temporal's 2 MB payload limit (versions near the
  // content limit, kept with their signed copies) would fail the query, and every page with it.
  setHandler(getStateQuery, () => boundedResult(run.get()));
}
