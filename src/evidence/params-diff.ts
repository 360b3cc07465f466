/**
 * Field-by-field difference between two params versions (the agent's and the one under review),
 * for the table on the decision page. Objects are compared key by key; anything else (a list, a
 * string, a number) is one field. Redacted fields are compared but never opened, so a changed
 * card number shows as one changed row without its digits or its inner structure.
 */
import { canonicalJson } from '../domain/canonical-hash';
import { REDACTED, redactPaths } from './redaction';

export interface ParamDifference {
  /** Segments below `params`. */
  path: string[];
  /** `undefined` when the field is absent on that side; redacted fields inside it are masked. */
  before: unknown;
  after: unknown;
  redacted: boolean;
}

/** Past this depth a subtree is compared as one value. */
const MAX_DEPTH = 8;

export function diffParams(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  redactedPaths: readonly (readonly string[])[],
  maxRows = 100,
): { differences: ParamDifference[]; truncated: boolean } {
  const redacted = new Set(redactedPaths.map((p) => p.join('\u0000')));
  const differences: ParamDifference[] = [];
  let truncated = false;
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const same = (a: unknown, b: unknown) => (a === undefined ? b === undefined : b !== undefined && canonicalJson(a) === canonicalJson(b));

  const walk = (a: unknown, b: unknown, path: string[]): void => {
    if (differences.length >= maxRows) {
      truncated = truncated || !same(a, b);
      return;
    }
    const isRedacted = redacted.has(path.join('\u0000'));
    if (!isRedacted && isObject(a) && isObject(b) && path.length < MAX_DEPTH) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      const at = (o: Record<string, unknown>, k: string) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
      for (const key of keys) walk(at(a, key), at(b, key), [...path, key]);
      return;
    }
    if (!same(a, b)) differences.push({ path, before: mask(a, path), after: mask(b, path), redacted: isRedacted });
  };
  // A row can hold a whole object (a field added or removed); mask the redacted fields inside it.
  const mask = (value: unknown, path: string[]): unknown => {
    if (value === undefined) return undefined;
    if (redacted.has(path.join('\u0000'))) return REDACTED;
    const inner = redactedPaths
      .filter((p) => p.length > path.length && path.every((seg, i) => p[i] === seg))
      .map((p) => ['v', ...p.slice(path.length)].join('.'));
    return inner.length === 0 ? value : redactPaths({ v: value }, inner).v;
  };
  walk(before, after, []);
  return { differences, truncated };
}
