/**
 * The policy's redacted fields as the decision service applies them: masked where they sit, and
 * masked again wherever their values turn up elsewhere (a card number the agent copied into a
 * note or a preview). The page, the API, the params editor and the diff all build the same masks
 * from the same state, so an untouched masked value can be recognised when it comes back.
 */
import type { ApprovalState } from '../domain/state';
import { cleanText } from '../mail/escape';
import { readPath, REDACTED } from '../policy/field-path';

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

/**
 * Same rule as the mail: strings and numbers of 4+ characters only, so a redacted `1` does not
 * mask every digit on the page.
 */
export function secretScrubber(values: unknown[]): (text: string) => string {
  const secrets = new Set<string>();
  const collect = (value: unknown, depth: number): void => {
    if (typeof value === 'string' || typeof value === 'number') {
      // Cleaned for the page's cleaned text, raw for the editor's exact values.
      for (const text of [cleanText(String(value), Infinity).trim(), String(value).trim()]) {
        if (text.length >= 4 && text !== REDACTED) secrets.add(text);
      }
    } else if (value !== null && typeof value === 'object' && depth < 5) {
      Object.values(value).forEach((v) => collect(v, depth + 1));
    }
  };
  values.forEach((v) => collect(v, 0));
  // Longest first, so a secret that contains another is masked whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((acc, secret) => acc.split(secret).join(REDACTED), text);
}
