/**
 * How large what a run carries may be. Temporal refuses a payload over 2 MB (and a whole gRPC
 * message over 4 MB): a proposal beyond that fails to start with nothing but "Failed to start
 * Workflow", and a run whose result grows past it is terminated by the server. So each version of
 * the content is checked up front, by the SDK, the CLI, the HTTP service and the workflow itself,
 * and what the run returns is kept under its own cap (workflows/run-result.ts).
 */
import { canonicalJson } from './canonical-hash';

/** One version's params plus the proposal's evidence, as canonical JSON (UTF-8). */
export const CONTENT_LIMIT_BYTES = 512 * 1024;
/**
 * What a finished run returns, as canonical JSON: the whole state when it fits, else a compact
 * summary. Under Temporal's 2 MB payload limit with room for the payload codec's envelope.
 */
export const RESULT_LIMIT_BYTES = 1536 * 1024;

/** UTF-8 length of the canonical JSON of `value` (pure JS: the workflow sandbox uses it too). */
export function canonicalBytes(value: unknown): number {
  const text = canonicalJson(value);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4; // a surrogate pair is one 4-byte character
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** `512 KB`, `3.1 MB`: sizes as the error messages name them (1 KB = 1024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Why this version of the content is too large, naming the limit; undefined when it fits.
 * `what` names the version in the message ("the proposal", "the revision", "the edited version").
 */
export function contentSizeProblem(what: string, params: unknown, evidence: unknown): string | undefined {
  let bytes: number;
  try {
    bytes = canonicalBytes({ params, evidence: evidence ?? {} });
  } catch {
    return undefined; // not JSON at all: the schema checks say so
  }
  if (bytes <= CONTENT_LIMIT_BYTES) return undefined;
  return `${what}'s params and evidence are ${formatBytes(bytes)} of canonical JSON; the limit is ${formatBytes(CONTENT_LIMIT_BYTES)} (pass large evidence by reference: evidence.attachments with a URL and its SHA-256)`;
}
