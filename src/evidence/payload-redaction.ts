/**
 * What the Temporal Web UI shows through the codec endpoint, masked like every other channel:
 * decoded payloads (proposals, states, notices, decisions) get the policies' redacted fields
 * masked wherever a params, evidence or edited version sits, and those values masked again in
 * every string of the same answer (a summary, a note, a comment), look-alikes included.
 */
import type { Payload } from '@temporalio/common';
import { readPath } from '../policy/field-path';
import { REDACTED, redactPaths, scrubStrings, secretScrubber } from './redaction';

/** Redacted paths (`params.card`, `evidence.preview`) by action type, from the policy files. */
export type RedactionsByActionType = ReadonlyMap<string, readonly string[]>;

const JSON_ENCODING = 'json/plain';
/** Objects that hold a version of an action's params, by the key they sit under. */
const PARAMS_KEYS = new Set(['params', 'editedParams', 'originalParams']);

export function redactDecodedPayloads(payloads: readonly Payload[], redactions: RedactionsByActionType): Payload[] {
  const decoded = payloads.map(decodeJson);
  const paths = new Set<string>([...redactions.values()].flat());
  // A state or evaluation in the answer may name redactions of a policy this service has not loaded.
  decoded.forEach((value) =>
    walk(value, (key, node) => key === 'redact' && Array.isArray(node) && node.forEach((p) => typeof p === 'string' && paths.add(p))),
  );
  const paramPaths = [...paths].filter((p) => p.startsWith('params.')).map((p) => p.slice('params.'.length));
  const evidencePaths = [...paths].filter((p) => p.startsWith('evidence.')).map((p) => p.slice('evidence.'.length));
  if (paramPaths.length === 0 && evidencePaths.length === 0 && !paths.has('params')) return [...payloads];

  const secrets: unknown[] = [];
  decoded.forEach((value) =>
    walk(value, (key, node) => {
      if (node === null || typeof node !== 'object') return;
      const own = PARAMS_KEYS.has(key)
        ? paths.has('params')
          ? [node]
          : paramPaths.map((p) => readPath(node, p))
        : key === 'evidence'
          ? evidencePaths.map((p) => readPath(node, p))
          : [];
      secrets.push(...own.filter((v) => v !== undefined && v !== REDACTED));
    }),
  );
  const scrub = secretScrubber(secrets);
  return payloads.map((payload, i) => {
    const value = decoded[i];
    if (value === undefined) return payload;
    const masked = scrubStrings(maskInPlace(value, paramPaths, evidencePaths, paths.has('params')), scrub);
    return { ...payload, data: new TextEncoder().encode(JSON.stringify(masked)) };
  });
}

function decodeJson(payload: Payload): unknown {
  const encoding = payload.metadata?.['encoding'];
  if (!encoding || new TextDecoder().decode(encoding) !== JSON_ENCODING || !payload.data) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(payload.data)) as unknown;
  } catch {
    return undefined;
  }
}

/** Calls `visit(key, value)` for every property in a JSON value (the root has key ''). */
function walk(value: unknown, visit: (key: string, node: unknown) => void, key = ''): void {
  visit(key, value);
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit, key));
  else if (value !== null && typeof value === 'object') Object.entries(value).forEach(([k, v]) => walk(v, visit, k));
}

function maskInPlace(value: unknown, paramPaths: string[], evidencePaths: string[], wholeParams: boolean, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => maskInPlace(v, paramPaths, evidencePaths, wholeParams, key));
  if (value === null || typeof value !== 'object') return value;
  if (PARAMS_KEYS.has(key)) return wholeParams ? REDACTED : redactPaths(value, paramPaths);
  const masked = key === 'evidence' ? redactPaths(value, evidencePaths) : value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(masked as Record<string, unknown>)) {
    Object.defineProperty(out, k, {
      value: maskInPlace(v, paramPaths, evidencePaths, wholeParams, k),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
