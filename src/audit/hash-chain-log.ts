/**
 * The audit chain in an append-only JSONL file (the default). Temporal deletes closed histories
 * after the namespace's retention period while auditors keep records for a year or more, so
 * every entry is copied here.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { extendChain, verifyLines, type AuditKeyring, type AuditLog, type ChainCheck, type ChainedLine, type ChainHead } from './chain';
import type { AuditEntry } from './record';

export type { ChainedLine, ChainCheck };

export function readChain(file: string): ChainedLine[] {
  return existsSync(file) ? chainOf(readFileSync(file, 'utf8')) : [];
}

/**
 * A line is whole once its newline is written: what follows the last one is an append still
 * under way (a reader racing a writer) or one a crash tore, and is not part of the chain.
 */
function chainOf(text: string): ChainedLine[] {
  const lines = text.split('\n');
  lines.pop();
  return lines.filter((l) => l.length > 0).map((l) => JSON.parse(l) as ChainedLine);
}

export function verifyChain(file: string, keyring?: AuditKeyring): ChainCheck {
  try {
    return verifyLines(readChain(file), keyring);
  } catch (err) {
    return { ok: false, lines: 0, unkeyed: 0, brokenAt: 0, reason: `unreadable: ${(err as Error).message}` };
  }
}

const STALE_LOCK_MS = 30_000;

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
      // A worker killed while holding the lock leaves it behind; an append takes milliseconds,
      // so a lock this old is abandoned and every later run would otherwise stall on it.
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
      } catch {
        // removed meanwhile by its owner or by another waiter
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(lock);
  }
}

/**
 * What this process knows of a log file: its size when last read or written, the last line and
 * the entry ids. Appends re-read the file only when its size says someone else wrote to it, so
 * an append costs the new lines, not the whole history of the chain.
 */
interface ChainCache {
  size: number;
  last: ChainedLine | undefined;
  ids: Set<string>;
  /** The file ends inside a line (a crash tore an append): the next append starts a new one. */
  torn: boolean;
}
const caches = new Map<string, ChainCache>();

function cacheFor(file: string): ChainCache {
  const size = existsSync(file) ? statSync(file).size : 0;
  const cached = caches.get(file);
  if (cached && cached.size === size) return cached;
  const text = size > 0 ? readFileSync(file, 'utf8') : '';
  const lines = chainOf(text);
  const fresh = {
    size,
    last: lines[lines.length - 1],
    ids: new Set(lines.map((l) => l.entryId)),
    torn: text !== '' && !text.endsWith('\n'),
  };
  caches.set(file, fresh);
  return fresh;
}

const headOf = (line: ChainedLine | undefined): { head?: ChainHead } => (line ? { head: { seq: line.seq, hash: line.hash } } : {});

export async function appendEntries(
  file: string,
  entries: AuditEntry[],
  keyring?: AuditKeyring,
): Promise<{ appended: number; head?: ChainHead }> {
  return withLock(file, () => {
    const cache = cacheFor(file);
    const fresh = extendChain({ ...(cache.last ? { last: cache.last } : {}), has: (id) => cache.ids.has(id) }, entries, keyring);
    if (fresh.length === 0) return { appended: 0, ...headOf(cache.last) };
    // After a line a crash tore, start on a new line rather than glue the next entry onto it.
    const text = `${cache.torn ? '\n' : ''}${fresh.map((line) => `${JSON.stringify(line)}\n`).join('')}`;
    const fd = openSync(file, 'a');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    cache.size += Buffer.byteLength(text);
    cache.torn = false;
    cache.last = fresh[fresh.length - 1];
    for (const line of fresh) cache.ids.add(line.entryId);
    return { appended: fresh.length, ...headOf(cache.last) };
  });
}

/** With a keyring, new lines are keyed (HMAC) with its first key. */
export function createFileAuditLog(file: string, keyring?: AuditKeyring): AuditLog {
  return {
    append: (entries) => appendEntries(file, entries, keyring),
    read: async () => readChain(file),
    head: async () => headOf(cacheFor(file).last).head,
    describe: () => file,
  };
}
