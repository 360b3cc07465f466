/**
 * The policy's redacted fields as the decision service applies them: masked where they sit, and
 * masked again wherever their values turn up elsewhere (a card number the agent copied into a
 * note or a preview). The page, the API, the params editor and the diff all build the same masks
 * from the same state, so an untouched masked value can be recognised when it comes back.
 */
import type { ApprovalState } from '../domain/state';
import { secretScrubber } from '../mail/secret-scrubber';
import { readPath } from '../policy/field-path';

export { secretScrubber };

/** Policy paths (`params.cardNumber`, `evidence.preview`) address this object. */
export function redactionRoot(state: ApprovalState): { params: Record<string, unknown>; evidence: ApprovalState['proposal']['evidence'] } {
  return { params: state.proposal.params, evidence: state.proposal.evidence };
}

/** The redacted paths that lie in the params, as segments below `params` (`[]` for all of them). */
export function redactedParamPaths(state: ApprovalState): string[][] {
  return (state.evaluation?.redact ?? [])
    .filter((path) => path === 'params' || path.startsWith('params.'))
    .map((path) => path.split('.').slice(1));
}

/** `params.body.card` for `['body', 'card']`: how the policy names a field. */
export function paramLabel(path: readonly string[]): string {
  return ['params', ...path].join('.');
}

/**
 * Masks the redacted values of this run (the current params, and the agent's original ones when a
 * reviewer edited them) wherever they appear in a text.
 */
export function scrubberFor(state: ApprovalState): (text: string) => string {
  const redact = state.evaluation?.redact ?? [];
  const roots: unknown[] = [redactionRoot(state)];
  if (state.originalParams) roots.push({ params: state.originalParams, evidence: state.proposal.evidence });
  return secretScrubber(roots.flatMap((root) => redact.map((path) => readPath(root, path))));
}
