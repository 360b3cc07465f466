/**
 * What a finished run returns. The whole state when it fits under RESULT_LIMIT_BYTES (the state
 * query, the SDK's `result()` and the tests rely on it); otherwise the same state without the
 * bulky copies of the params and evidence, marked `compacted`, so that a run with large versions
 * and several edits is not terminated by the server for the size of its result. The hash of every
 * version stays; the audit record, written from the full state, keeps the content.
 */
import { canonicalBytes, formatBytes, RESULT_LIMIT_BYTES } from '../src/domain/size-limits';
import type { ApprovalState } from '../src/domain/state';

/** Transitions a compacted result keeps when even the compact state is too large (the latest). */
const KEPT_TRANSITIONS = 50;

export function boundedResult(state: ApprovalState): ApprovalState {
  const full = canonicalBytes(state);
  if (full <= RESULT_LIMIT_BYTES) return state;
  const { originalParams: _original, ...rest } = state;
  const { confidence, piiDetected } = state.proposal.evidence;
  const compact: ApprovalState = {
    ...rest,
    proposal: {
      ...state.proposal,
      params: {
        omitted: `the params are left out of this result (the whole state is ${formatBytes(full)}); their hash is ${state.paramsHash}`,
      },
      evidence: { ...(confidence !== undefined ? { confidence } : {}), ...(piiDetected !== undefined ? { piiDetected } : {}) },
    },
    // The signed copies carry each edited version; the commit has checked them already.
    decisions: state.decisions.map(({ signed: _signed, ...d }) => d),
    compacted: true,
  };
  if (canonicalBytes(compact) <= RESULT_LIMIT_BYTES) return compact;
  return { ...compact, transitions: compact.transitions.slice(-KEPT_TRANSITIONS) };
}
