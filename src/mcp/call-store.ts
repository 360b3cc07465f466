/**
 * The durable record of downstream tool calls, one per idempotency key: claimed before the call,
 * completed with the result after it. MCP has no idempotency key of its own, so this record is
 * what lets a retried commit return the first result instead of calling the tool again, and what
 * tells a retry after a crash mid-call that it cannot know whether the call happened.
 *
 * Two stores: a PostgreSQL table, which any number of workers share (the primary key decides which
 * one claims a call), and a JSONL file for one dev worker (appends from one process are ordered;
 * a second worker could claim the same key in the gap between its read and its append).
 */
import { closeSync, existsSync, fsync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { Pool } from 'pg';
import { createTableInTurn } from '../audit/postgres-log';
import { z } from 'zod';

export const CallEntrySchema = z.object({
  key: z.string().min(1),
  status: z.enum(['calling', 'done']),
  server: z.string(),
  tool: z.string(),
  /** The downstream CallToolResult, as returned. */
  result: z.record(z.string(), z.unknown()).optional(),
  at: z.iso.datetime(),
});
export type CallEntry = z.infer<typeof CallEntrySchema>;

export interface CallStore {
  /** Records the key before the call; `claimed` is false when an entry was there already (returned as is). */
  claim(key: string, server: string, tool: string): Promise<{ claimed: boolean; entry: CallEntry }>;
  complete(key: string, result: Record<string, unknown>): Promise<CallEntry>;
  get(key: string): Promise<CallEntry | undefined>;
}

/** What a file store knows of its file: the entries, and the file's size when last read or written. */
interface FileView {
  size: number;
  entries: Map<string, CallEntry>;
  /** The file ends in a line torn by a crash: the next append starts on a new line. */
  torn: boolean;
}

function readView(file: string): FileView {
  const entries = new Map<string, CallEntry>();
  if (!existsSync(file)) return { size: 0, entries, torn: false };
  // Sized by its bytes, not by the decoded text: a line torn inside a character decodes to more
  // bytes than it has, and the view would never match the file's size again.
  const bytes = readFileSync(file);
  const text = bytes.toString('utf8');
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    // A line torn by a crash mid-write is skipped: its claim was never acknowledged to anyone.
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = CallEntrySchema.safeParse(raw);
    if (parsed.success) entries.set(parsed.data.key, parsed.data);
  }
  return { size: bytes.length, entries, torn: bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a };
}

const fsyncAsync = promisify(fsync);

export function createFileCallStore(file: string): CallStore {
  let view: FileView | undefined;
  // The file is read once and then only when its size says another process wrote to it: reading
  // and parsing every line on each claim, completion and verify made a call cost more the more
  // calls the file held.
  const current = (): FileView => {
    const size = existsSync(file) ? statSync(file).size : 0;
    if (!view || view.size !== size) view = readView(file);
    return view;
  };
  /**
   * The line is written and the view updated before anything is awaited, so a second claim of the
   * key in this process sees the first at once; the entry is returned only once it is on disk
   * (fsync, as before), without holding the worker's event loop while the disk syncs.
   */
  const append = async (entry: CallEntry): Promise<CallEntry> => {
    const known = current();
    const text = `${known.torn ? '\n' : ''}${JSON.stringify(entry)}\n`;
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(file, 'a');
    try {
      writeSync(fd, text);
      known.size += Buffer.byteLength(text);
      known.torn = false;
      known.entries.set(entry.key, entry);
      await fsyncAsync(fd);
    } finally {
      closeSync(fd);
    }
    return entry;
  };
  return {
    async claim(key, server, tool) {
      const existing = current().entries.get(key);
      if (existing) return { claimed: false, entry: existing };
      return { claimed: true, entry: await append({ key, status: 'calling', server, tool, at: new Date().toISOString() }) };
    },
    async complete(key, result) {
      const existing = current().entries.get(key);
      if (!existing) throw new Error(`no claimed call under ${key}`);
      return append({ ...existing, status: 'done', result, at: new Date().toISOString() });
    },
    async get(key) {
      return current().entries.get(key);
    },
  };
}

export const CALLS_TABLE = 'gatehouse_mcp_calls';
/** Beside the audit chain's and checkpoints' locks (7_342_118, 7_342_119). */
const CALLS_DDL_LOCK = 7_342_120;

const CALLS_DDL = `CREATE TABLE IF NOT EXISTS ${CALLS_TABLE} (
  idempotency_key text PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('calling', 'done')),
  server text NOT NULL,
  tool text NOT NULL,
  result jsonb,
  at timestamptz NOT NULL DEFAULT now()
)`;

interface CallRow {
  idempotency_key: string;
  status: CallEntry['status'];
  server: string;
  tool: string;
  result: Record<string, unknown> | null;
  at: Date;
}

const entryOf = (row: CallRow): CallEntry => ({
  key: row.idempotency_key,
  status: row.status,
  server: row.server,
  tool: row.tool,
  ...(row.result ? { result: row.result } : {}),
  at: row.at.toISOString(),
});

/** The call record in PostgreSQL (table gatehouse_mcp_calls, created on first use). */
export function createPostgresCallStore(pool: Pool): CallStore {
  let ready: Promise<void> | undefined;
  // Under an advisory lock: two workers creating the table at once can otherwise both pass IF NOT
  // EXISTS, and the loser fails on the table's row type ("type already exists").
  const ensure = (): Promise<void> =>
    (ready ??= createTableInTurn(pool, CALLS_DDL_LOCK, CALLS_DDL).catch((err: unknown) => {
      ready = undefined;
      throw err;
    }));
  const get = async (key: string): Promise<CallEntry | undefined> => {
    await ensure();
    const row = (await pool.query<CallRow>(`SELECT * FROM ${CALLS_TABLE} WHERE idempotency_key = $1`, [key])).rows[0];
    return row ? entryOf(row) : undefined;
  };
  return {
    async claim(key, server, tool) {
      await ensure();
      const inserted = await pool.query<CallRow>(
        `INSERT INTO ${CALLS_TABLE} (idempotency_key, status, server, tool) VALUES ($1, 'calling', $2, $3)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
        [key, server, tool],
      );
      if (inserted.rows[0]) return { claimed: true, entry: entryOf(inserted.rows[0]) };
      const existing = await get(key);
      // Rows are never deleted, so the conflicting row is there to read.
      if (!existing) throw new Error(`the call under ${key} conflicted and then vanished`);
      return { claimed: false, entry: existing };
    },
    async complete(key, result) {
      await ensure();
      const row = (
        await pool.query<CallRow>(
          `UPDATE ${CALLS_TABLE} SET status = 'done', result = $2::jsonb, at = now() WHERE idempotency_key = $1 AND status = 'calling' RETURNING *`,
          [key, JSON.stringify(result)],
        )
      ).rows[0];
      if (!row) throw new Error(`no claimed call under ${key}`);
      return entryOf(row);
    },
    get,
  };
}
