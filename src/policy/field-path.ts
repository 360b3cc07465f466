/** Reading and masking dotted field paths (`params.amount`) in plain JSON objects. */

export function readPath(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, part)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

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
