/**
 * The hash chain itself, apart from where it is stored: each line carries the hash of the line
 * before it, so an edited, removed or reordered line breaks the chain. A line's hash is an
 * HMAC-SHA256 under the audit key it names: whoever can write the log but not read the worker's
 * key cannot re-chain an edited file so that it verifies again. Lines from before the key existed
 * carry no key id and a plain SHA-256; they still verify, and are counted as unkeyed.
 */
import { createHmac } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../domain/canonical-hash';
import type { LinkKeyring } from '../links/keyring';
import type { AuditEntry } from './record';

export interface ChainedLine extends AuditEntry {
  seq: number;
  prevHash: string;
  /** The audit key the hash is keyed with; absent on lines written before the chain was keyed. */
  keyId?: string;
  hash: string;
}

/** The audit keys in force: the first keys new lines, every listed one verifies (rotation). */
export type AuditKeyring = LinkKeyring;

export const GENESIS_HASH = '0'.repeat(64);

/** Thrown when a line names an audit key the keyring does not hold. */
export class UnknownAuditKeyError extends Error {
  override readonly name = 'UnknownAuditKeyError';
  constructor(readonly keyId: string) {
    super(`audit key "${keyId}" is not in GATEHOUSE_AUDIT_KEYS`);
  }
}

function lineHash(line: Omit<ChainedLine, 'hash'>, keyring: AuditKeyring | undefined): string {
  const text = canonicalJson(line);
  if (line.keyId === undefined) return sha256Hex(text);
  const secret = keyring?.keys.get(line.keyId);
  if (!secret) throw new UnknownAuditKeyError(line.keyId);
  return createHmac('sha256', secret).update(text).digest('hex');
}

/** The last line of a chain, which a checkpoint signs. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * Chains `entries` after the last line (if any), skipping entries already present (and repeats
 * within `entries`). With a keyring, new lines are keyed with its signing key.
 */
export function extendChain(
  existing: { last?: ChainedLine; has: (entryId: string) => boolean },
  entries: AuditEntry[],
  keyring?: AuditKeyring,
): ChainedLine[] {
  let prev = existing.last?.hash ?? GENESIS_HASH;
  let seq = existing.last?.seq ?? 0;
  const seen = new Set<string>();
  return entries
    .filter((e) => !existing.has(e.entryId) && !seen.has(e.entryId) && seen.add(e.entryId))
    .map((entry) => {
      const body = { ...entry, seq: ++seq, prevHash: prev, ...(keyring ? { keyId: keyring.signingKeyId } : {}) };
      const hash = lineHash(body, keyring);
      prev = hash;
      return { ...body, hash };
    });
}

export type ChainCheck =
  { ok: true; lines: number; unkeyed: number } | { ok: false; lines: number; unkeyed: number; brokenAt: number; reason: string };

/**
 * Checks every line against the one before it and against its own hash. Once a keyed line has
 * been seen, an unkeyed one is a break: otherwise whoever lacks the key would write plain
 * SHA-256 lines after an edit.
 */
export function verifyLines(lines: ChainedLine[], keyring?: AuditKeyring): ChainCheck {
  let prev = GENESIS_HASH;
  let unkeyed = 0;
  let keyedSeen = false;
  for (const [i, line] of lines.entries()) {
    const { hash, ...rest } = line;
    const broken = (reason: string): ChainCheck => ({ ok: false, lines: lines.length, unkeyed, brokenAt: i + 1, reason });
    if (line.seq !== i + 1) return broken(`sequence ${line.seq} where ${i + 1} was expected`);
    if (line.prevHash !== prev) return broken('previous hash does not match');
    if (line.keyId === undefined) {
      if (keyedSeen) return broken('unkeyed line after keyed lines');
      unkeyed++;
    } else keyedSeen = true;
    let expected: string;
    try {
      expected = lineHash(rest, keyring);
    } catch (err) {
      if (err instanceof UnknownAuditKeyError) return broken(err.message);
      throw err;
    }
    if (expected !== hash) return broken('line content does not match its hash');
    prev = hash;
  }
  return { ok: true, lines: lines.length, unkeyed };
}

/** Where the chain lives: a JSONL file by default, PostgreSQL for production. */
export interface AuditLog {
  /**
   * Appends the entries not yet in the log (by entryId); safe to call again with the same
   * entries. Returns the chain's head after the append.
   */
  append(entries: AuditEntry[]): Promise<{ appended: number; head?: ChainHead }>;
  read(): Promise<ChainedLine[]>;
  /** The last line's seq and hash; undefined while the log is empty. */
  head(): Promise<ChainHead | undefined>;
  describe(): string;
  close?(): Promise<void>;
}
