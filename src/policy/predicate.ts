/** Pure evaluation of policy trigger predicates against a proposal. */
import type { Predicate } from '../domain/policy';
import { readPath } from './field-path';

function asNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function matchesAny(actual: unknown, pattern: unknown): boolean {
  if (typeof pattern !== 'string') return false;
  const re = new RegExp(pattern);
  const values = Array.isArray(actual) ? actual : [actual];
  return values.some((v) => typeof v === 'string' && re.test(v));
}

export function evaluatePredicate(predicate: Predicate, subject: unknown): boolean {
  if ('all' in predicate) return predicate.all.every((p) => evaluatePredicate(p, subject));
  if ('any' in predicate) return predicate.any.some((p) => evaluatePredicate(p, subject));
  const actual = readPath(subject, predicate.field);
  const expected = predicate.value;
  switch (predicate.op) {
    case 'exists':
      return actual !== undefined;
    case 'missing':
      return actual === undefined;
    case 'eq':
      return JSON.stringify(actual) === JSON.stringify(expected);
    case 'neq':
      return JSON.stringify(actual) !== JSON.stringify(expected);
    case 'in':
      return Array.isArray(expected) && expected.some((e) => JSON.stringify(e) === JSON.stringify(actual));
    case 'notIn':
      return Array.isArray(expected) && !expected.some((e) => JSON.stringify(e) === JSON.stringify(actual));
    case 'matches':
      return matchesAny(actual, expected);
    case 'notMatches':
      // "any recipient outside our domain" reads naturally as: some value does not match
      return (Array.isArray(actual) ? actual : [actual]).some((v) => typeof v === 'string' && !matchesAny(v, expected));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const a = asNumber(actual);
      const b = asNumber(expected);
      if (a === undefined || b === undefined) return false;
      return predicate.op === 'gt' ? a > b : predicate.op === 'gte' ? a >= b : predicate.op === 'lt' ? a < b : a <= b;
    }
    default: {
      const unreachable: never = predicate.op;
      throw new Error(`unknown predicate op ${String(unreachable)}`);
    }
  }
}
