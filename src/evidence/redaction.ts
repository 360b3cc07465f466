/**
 * The policy's redacted fields, applied the same way wherever a run is shown or recorded: the
 * mail, the decision page, the JSON API, the params editor, the audit record and the CLI.
 *
 * A redacted field is masked where it sits, and its value is masked again wherever it turns up
 * elsewhere (a card number the agent copied into the summary or a preview, a token a reviewer
 * pasted into a comment), also when it is split by invisible characters or whitespace, or
 * disguised with look-alike letters (see ./confusables).
 */
import type { PolicyEvaluation } from '../domain/evaluation';
import type { Proposal } from '../domain/proposal';
import { readPath } from '../policy/field-path';
import { skeleton, skeletonWithOffsets } from './confusables';

export const REDACTED = '[redacted]';

/** A deep copy of `root` with every listed path replaced by a marker; absent paths are left alone. */
export function redactPaths<T>(root: T, paths: readonly string[]): T {
  const copy = JSON.parse(JSON.stringify(root ?? null)) as T;
  for (const path of paths) {
    const parts = path.split('.');
    const last = parts.pop()!;
    const parent = readPath(copy, parts.join('.'));
    const target = parts.length === 0 ? copy : parent;
    if (target && typeof target === 'object' && Object.prototype.hasOwnProperty.call(target, last)) {
      (target as Record<string, unknown>)[last] = REDACTED;
    }
  }
  return copy;
}

/** Masks the redacted values in a text; the identity when nothing is redacted. */
export type Scrubber = (text: string) => string;

/** Shorter values would mask ordinary text (a redacted `1` would mask every digit). */
const MIN_SECRET_SKELETON = 4;

/**
 * A scrubber for the given redacted values (strings and numbers, nested up to five levels):
 * every place in a text whose look-alike skeleton matches a value's skeleton is replaced, with the
 * invisible characters and separators inside it, by {@link REDACTED}.
 */
export function secretScrubber(values: readonly unknown[]): Scrubber {
  const secrets = new Set<string>();
  const collect = (value: unknown, depth: number): void => {
    if (typeof value === 'string' || typeof value === 'number') {
      const s = skeleton(String(value));
      if (s.length >= MIN_SECRET_SKELETON && s !== skeleton(REDACTED)) secrets.add(s);
    } else if (value !== null && typeof value === 'object' && depth < 5) {
      Object.values(value).forEach((v) => collect(v, depth + 1));
    }
  };
  values.forEach((v) => collect(v, 0));
  if (secrets.size === 0) return (text) => text;
  return (text) => maskMatches(text, [...secrets]);
}

function maskMatches(text: string, secrets: readonly string[]): string {
  const folded = skeletonWithOffsets(text);
  const spans: [number, number][] = [];
  for (const secret of secrets) {
    for (let at = folded.skeleton.indexOf(secret); at !== -1; at = folded.skeleton.indexOf(secret, at + 1)) {
      spans.push([folded.from[at]!, folded.to[at + secret.length - 1]!]);
    }
  }
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let cursor = 0;
  let open: [number, number] | undefined;
  for (const span of spans) {
    if (open && span[0] <= open[1]) {
      open[1] = Math.max(open[1], span[1]);
      continue;
    }
    if (open) {
      out += text.slice(cursor, open[0]) + REDACTED;
      cursor = open[1];
    }
    open = [span[0], span[1]];
  }
  out += text.slice(cursor, open![0]) + REDACTED + text.slice(open![1]);
  return out;
}

/** Every string in a JSON value scrubbed; keys and structure kept. */
export function scrubStrings<T>(value: T, scrub: Scrubber): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrub(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(v)) {
        Object.defineProperty(out, key, { value: walk(inner), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/** What redaction needs of a run: an `ApprovalState` is one. */
export interface RedactionSource {
  proposal: Pick<Proposal, 'params' | 'evidence'>;
  evaluation?: Pick<PolicyEvaluation, 'redact'> | undefined;
  /** The agent's first params, kept once a reviewer edited them or the agent revised them. */
  originalParams?: Record<string, unknown> | undefined;
}

/** Policy paths (`params.cardNumber`, `evidence.preview`) address this object. */
export function redactionRoot(source: RedactionSource): { params: Record<string, unknown>; evidence: Proposal['evidence'] } {
  // `evidence` defaults to {} when parsed; a proposal that skipped the schema may lack it.
  return { params: source.proposal.params, evidence: source.proposal.evidence ?? {} };
}

/** The redacted paths that lie in the params, as segments below `params` (`[]` for all of them). */
export function redactedParamPaths(source: RedactionSource): string[][] {
  return (source.evaluation?.redact ?? [])
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
export function scrubberFor(source: RedactionSource): Scrubber {
  const redact = source.evaluation?.redact ?? [];
  const roots: unknown[] = [redactionRoot(source)];
  if (source.originalParams) roots.push({ params: source.originalParams, evidence: source.proposal.evidence ?? {} });
  return secretScrubber(roots.flatMap((root) => redact.map((path) => readPath(root, path))));
}
