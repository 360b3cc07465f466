/**
 * The audit chain in an append-only JSONL file (the default). Temporal deletes closed histories
 * after the namespace's retention period while auditors keep records for a year or more, so
 * every entry is copied here.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { extendChain, verifyLines, type AuditLog, type ChainCheck, type ChainedLine } from './chain';
import type { AuditEntry } from './record';

export type { ChainedLine, ChainCheck };

export function readChain(file: string): ChainedLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as ChainedLine);
}

export function verifyChain(file: string): ChainCheck {
  try {
    return verifyLines(readChain(file));
  } catch (err) {
    return { ok: false, lines: 0, brokenAt: 0, reason: `unreadable: ${(err as Error).message}` };
  }
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

export async function appendEntries(file: string, entries: AuditEntry[]): Promise<{ appended: number }> {
  return withLock(file, () => {
    const existing = readChain(file);
    const known = new Set(existing.map((l) => l.entryId));
    const fresh = extendChain({ ...(existing.length ? { last: existing[existing.length - 1]! } : {}), has: (id) => known.has(id) }, entries);
    if (fresh.length === 0) return { appended: 0 };
    const fd = openSync(file, 'a');
    try {
      writeSync(fd, fresh.map((line) => `${JSON.stringify(line)}\n`).join(''));
    } finally {
      closeSync(fd);
    }
    return { appended: fresh.length };
  });
}

export function createFileAuditLog(file: string): AuditLog {
  return {
    append: (entries) => appendEntries(file, entries),
    read: async () => readChain(file),
    describe: () => file,
  };
}
