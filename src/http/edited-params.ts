/**
 * Approving with edits, from the page and the API, when the policy redacts some params.
 *
 * A reviewer never sees a redacted value, so they cannot edit one. The editor holds the params
 * without the redacted fields, and the version sent to the workflow is the reviewer's JSON with
 * every redacted field put back at its current value. For everything else the reviewer's JSON is
 * the whole new version (a key left out is removed), because that is what `editedParams` means to
 * the workflow. A redacted value the agent repeated in another field is shown masked; sent back
 * untouched it keeps its real value, and the marker anywhere else is refused, so `[redacted]` is
 * never executed as a value.
 *
 * The workflow remains the judge of the edited version (action schema, policy); these checks only
 * make sure it is the version the reviewer meant.
 */
import { paramsHash } from '../domain/canonical-hash';
import type { ApprovalState } from '../domain/state';
import { paramLabel, REDACTED, redactedParamPaths, scrubberFor } from '../evidence/redaction';
import { oneLine } from '../evidence/text';
import { BadRequestError } from './errors';

/** An edited version may hold at most this many bytes of JSON (UTF-8). */
export const MAX_EDIT_BYTES = 64 * 1024;
/** Deeper nesting is refused before anything walks it (canonical hashing recurses). */
export const MAX_EDIT_DEPTH = 32;

/** What the page and the API offer for editing. */
export type ParamsEditor =
  | {
      offered: true;
      /** The params without the redacted fields; other copies of redacted values masked. */
      params: Record<string, unknown>;
      /** Policy names (`params.body.card`) of the fields that keep their value through any edit. */
      redactedFields: string[];
    }
  | { offered: false; reason: string };

type Path = readonly string[];
type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);
const own = (value: unknown, key: string): boolean =>
  value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, key);

function get(root: unknown, path: Path): unknown {
  let current = root;
  for (const key of path) {
    if (!own(current, key)) return undefined;
    current = (current as JsonObject)[key];
  }
  return current;
}

const has = (root: unknown, path: Path): boolean => path.length > 0 && own(get(root, path.slice(0, -1)), path[path.length - 1]!);

/** Own data property, whatever the key (`__proto__` included): never touches a prototype. */
function put(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const invalid = (detail: string) => new BadRequestError('invalid_edit', detail);

/** Redacted fields present in the params now, which every edit keeps; or why editing is not possible. */
function keptFields(state: ApprovalState): { path: Path; value: unknown }[] | { blocked: string } {
  const params = state.proposal.params;
  const kept: { path: Path; value: unknown }[] = [];
  for (const path of redactedParamPaths(state)) {
    if (path.length === 0) return { blocked: 'the policy redacts every parameter' };
    if (!has(params, path)) continue;
    // A list along the way has no stable place to put the value back: the reviewer may reorder it.
    if (path.some((_, i) => Array.isArray(get(params, path.slice(0, i)))))
      return { blocked: `the redacted field ${paramLabel(path)} sits inside a list` };
    kept.push({ path, value: get(params, path) });
  }
  return kept;
}

/** The JSON the editor shows: indented, with invisible characters as `\u` escapes so they can be seen. */
export function editorJson(params: JsonObject): string {
  // Bidi controls, zero-width characters, C1 controls and line separators print as nothing (or
  // reorder the text) in a textarea; escaped, they stay visible and the JSON still round-trips.
  return JSON.stringify(params, null, 2).replace(
    /[\u0080-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The params as the reviewer may edit them, or why they cannot be edited here. */
export function paramsEditor(state: ApprovalState): ParamsEditor {
  const kept = keptFields(state);
  if ('blocked' in kept) return { offered: false, reason: `Editing is not offered here: ${kept.blocked}.` };
  const visible = clone(state.proposal.params);
  for (const { path } of kept) delete (get(visible, path.slice(0, -1)) as JsonObject)[path[path.length - 1]!];
  const params = mapStrings(visible, scrubberFor(state)) as JsonObject;
  if (Buffer.byteLength(editorJson(params), 'utf8') > MAX_EDIT_BYTES) {
    return { offered: false, reason: 'Editing is not offered here: the parameters are larger than the 64 kB an edited version may have.' };
  }
  return { offered: true, params, redactedFields: redactedParamPaths(state).map(paramLabel) };
}

function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value)) put(out, key, mapStrings(value[key], f));
    return out;
  }
  return value;
}

/**
 * The editor's text as sent by the page's form.
 *
 * @throws {@link BadRequestError} `invalid_edit` when it is too large, not JSON, or not an object.
 */
export function parseEditorText(text: string): JsonObject {
  if (Buffer.byteLength(text, 'utf8') > MAX_EDIT_BYTES) throw invalid('editedParams: an edited version may be at most 64 kB of JSON');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the input; only the position is passed on.
    throw invalid(`editedParams: not valid JSON${jsonErrorPosition(err, text)}`);
  }
  if (!isObject(value)) throw invalid('editedParams: must be a JSON object ({ … }) holding every parameter');
  checkShape(value);
  return value;
}

/**
 * The size and depth limits for an edited version that arrived as JSON (the API).
 *
 * @throws {@link BadRequestError} `invalid_edit`
 */
export function checkEditedObject(value: JsonObject): JsonObject {
  checkShape(value);
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > MAX_EDIT_BYTES)
    throw invalid('editedParams: an edited version may be at most 64 kB of JSON');
  return value;
}

function checkShape(value: unknown): void {
  // Iterative, so a deeply nested body cannot overflow the stack before it is refused.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_EDIT_DEPTH) throw invalid(`editedParams: nested more than ${MAX_EDIT_DEPTH} levels deep`);
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
}

function jsonErrorPosition(err: unknown, text: string): string {
  const match = /at position (\d+)/.exec(err instanceof Error ? err.message : '');
  if (!match) return '';
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}

/**
 * The full new params: the reviewer's version with the redacted fields at their current values
 * and untouched masked strings back to their real values.
 *
 * @throws {@link BadRequestError} `invalid_edit` when the edit sets a redacted field, holds the
 * redaction marker, removes the object a redacted field lives in, or changes nothing.
 */
export function mergeEdit(state: ApprovalState, edited: JsonObject): JsonObject {
  const kept = keptFields(state);
  if ('blocked' in kept) throw invalid(`editing is not possible from this page: ${kept.blocked}`);
  checkShape(edited);
  for (const path of redactedParamPaths(state)) {
    if (has(edited, path)) {
      throw invalid(
        `${paramLabel(path)} is redacted: it cannot be set or changed from this page and keeps its current value. Remove it from the edited version.`,
      );
    }
  }
  const merged = unmask(edited, state.proposal.params, scrubberFor(state), []) as JsonObject;
  for (const { path, value } of kept) {
    const parentPath = path.slice(0, -1);
    const parent = get(merged, parentPath);
    if (!isObject(parent)) {
      throw invalid(
        `${paramLabel(parentPath)} holds the redacted field ${paramLabel(path)}, which keeps its value, so it must stay an object.`,
      );
    }
    put(parent, path[path.length - 1]!, clone(value));
  }
  if (paramsHash(merged) === state.paramsHash) {
    throw invalid('editedParams: the edited version is the same as the current one. Use Approve to approve it as it is.');
  }
  return merged;
}

/** A copy of `value` in which strings shown masked and sent back unchanged get their real value. */
function unmask(value: unknown, current: unknown, scrub: (s: string) => string, path: string[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes(REDACTED)) return value;
    if (typeof current === 'string' && scrub(current) === value) return current;
    throw invalid(
      `${oneLine(paramLabel(path), 200)} contains "${REDACTED}": a redacted value cannot be edited from this page. Leave the field as it was shown, or write its whole new value.`,
    );
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => unmask(v, Array.isArray(current) ? current[i] : undefined, scrub, [...path, String(i)]));
  }
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      put(out, key, unmask(value[key], isObject(current) && own(current, key) ? current[key] : undefined, scrub, [...path, key]));
    }
    return out;
  }
  return value;
}
