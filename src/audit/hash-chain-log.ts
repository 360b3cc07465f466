/**
 * Append-only, hash-chained audit log in a JSONL file. Temporal deletes closed histories after
 * the namespace's retention period while auditors keep records for a year or more, so every
 * entry is copied here; each line carries the hash of the line before it, so an edited, removed
 * or reordered line breaks the chain.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson, sha256Hex } from '../domain/canonical-hash';
import type { AuditEntry } from './record';

export interface ChainedLine extends AuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

function lineHash(line: Omit<ChainedLine, 'hash'>): string {
  return sha256Hex(canonicalJson(line));
}

export function readChain(file: string): ChainedLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as ChainedLine);
}

export type ChainCheck = { ok: true; lines: number } | { ok: false; lines: number; brokenAt: number; reason: string };

export function verifyChain(file: string): ChainCheck {
  let prev = GENESIS;
  let lines: ChainedLine[];
  try {
    lines = readChain(file);
  } catch (err) {
    return { ok: false, lines: 0, brokenAt: 0, reason: `unreadable: ${(err as Error).message}` };
  }
  for (const [i, line] of lines.entries()) {
    const { hash, ...rest } = line;
    if (line.seq !== i + 1) return { ok: false, lines: lines.length, brokenAt: i + 1, reason: `sequence ${line.seq} where ${i + 1} was expected` };
    if (line.prevHash !== prev) return { ok: false, lines: lines.length, brokenAt: i + 1, reason: 'previous hash does not match' };
    if (lineHash(rest) !== hash) return { ok: false, lines: lines.length, brokenAt: i + 1, reason: 'line content does not match its hash' };
    prev = hash;
  }
  return { ok: true, lines: lines.length };
}

/** Exclusive lock beside the log so two workers on one machine never interleave a chain. */
async function withLock<T>(file: string, fn: () => T): Promise<T> {
  const lock = `${file}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 200) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(lock);
  }
}

/** Appends the entries not yet in the log (by entryId); safe to call again with the same entries. */
export async function appendEntries(file: string, entries: AuditEntry[]): Promise<{ appended: number }> {
  return withLock(file, () => {
    const existing = readChain(file);
    const known = new Set(existing.map((l) => l.entryId));
    let prev = existing.at(-1)?.hash ?? GENESIS;
    let seq = existing.length;
    const fresh = entries.filter((e) => !known.has(e.entryId));
    if (fresh.length === 0) return { appended: 0 };
    const text = fresh
      .map((entry) => {
        const body = { ...entry, seq: ++seq, prevHash: prev };
        const hash = lineHash(body);
        prev = hash;
        return `${JSON.stringify({ ...body, hash })}\n`;
      })
      .join('');
    const fd = openSync(file, 'a');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    return { appended: fresh.length };
  });
}
