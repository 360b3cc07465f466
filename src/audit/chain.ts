/**
 * The hash chain itself, apart from where it is stored: each line carries the hash of the line
 * before it, so an edited, removed or reordered line breaks the chain.
 */
import { canonicalJson, sha256Hex } from '../domain/canonical-hash';
import type { AuditEntry } from './record';

export interface ChainedLine extends AuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

function lineHash(line: Omit<ChainedLine, 'hash'>): string {
  return sha256Hex(canonicalJson(line));
}

/** Chains `entries` after the last line (if any), skipping entries already present. */
export function extendChain(existing: { last?: ChainedLine; has: (entryId: string) => boolean }, entries: AuditEntry[]): ChainedLine[] {
  let prev = existing.last?.hash ?? GENESIS_HASH;
  let seq = existing.last?.seq ?? 0;
  return entries
    .filter((e) => !existing.has(e.entryId))
    .map((entry) => {
      const body = { ...entry, seq: ++seq, prevHash: prev };
      const hash = lineHash(body);
      prev = hash;
      return { ...body, hash };
    });
}

export type ChainCheck = { ok: true; lines: number } | { ok: false; lines: number; brokenAt: number; reason: string };

export function verifyLines(lines: ChainedLine[]): ChainCheck {
  let prev = GENESIS_HASH;
  for (const [i, line] of lines.entries()) {
    const { hash, ...rest } = line;
    if (line.seq !== i + 1)
      return { ok: false, lines: lines.length, brokenAt: i + 1, reason: `sequence ${line.seq} where ${i + 1} was expected` };
    if (line.prevHash !== prev) return { ok: false, lines: lines.length, brokenAt: i + 1, reason: 'previous hash does not match' };
    if (lineHash(rest) !== hash) return { ok: false, lines: lines.length, brokenAt: i + 1, reason: 'line content does not match its hash' };
    prev = hash;
  }
  return { ok: true, lines: lines.length };
}

/** Where the chain lives: a JSONL file by default, PostgreSQL for production. */
export interface AuditLog {
  /** Appends the entries not yet in the log (by entryId); safe to call again with the same entries. */
  append(entries: AuditEntry[]): Promise<{ appended: number }>;
  read(): Promise<ChainedLine[]>;
  describe(): string;
  close?(): Promise<void>;
}
