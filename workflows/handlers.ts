/**
 * Registers every update, signal and query of the run, one line each. Handlers are registered
 * before the first await: updates without a handler at the end of the first activation are
 * rejected, and buffered signals must meet the same checks as updates.
 */
import { setHandler } from '@temporalio/workflow';
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
import { decideSignal, decideUpdate, getStateQuery, requestFreshLinkSignal, reviseUpdate, withdrawUpdate } from './messages';
import type { Run } from './run-context';

export function registerHandlers(run: Run, keys: () => TrustedKeys): void {
  setHandler(decideUpdate, (signed) => applyDecision(run, signed, keys), {
    validator: (signed) => void acceptDecision(run, signed, keys()),
  });
  setHandler(decideSignal, (raw) => applyDecisionSignal(run, raw, keys));
  setHandler(reviseUpdate, (revision) => applyRevision(run, revision), { validator: (revision) => void acceptRevision(run, revision) });
  setHandler(withdrawUpdate, (withdrawal) => applyWithdrawal(run, withdrawal), {
    validator: (withdrawal) => void acceptWithdrawal(run, withdrawal),
  });
  setHandler(requestFreshLinkSignal, (raw) => applyFreshLinkRequest(run, raw));
  setHandler(getStateQuery, () => run.get());
}
