/**
 * The durable record of downstream tool calls, one per idempotency key: claimed before the call,
 * completed with the result after it. MCP has no idempotency key of its own, so this record is
 * what lets a retried commit return the first result instead of calling the tool again, and what
 * tells a retry after a crash mid-call that it cannot know whether the call happened.
 *
 * A JSONL file: one dev worker (appends from one process are ordered; two workers would need the
 * PostgreSQL table the email outbox uses).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
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

export function createFileCallStore(file: string): CallStore {
  const read = (): Map<string, CallEntry> => {
    const entries = new Map<string, CallEntry>();
    if (!existsSync(file)) return entries;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
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
    return entries;
  };
  const append = (entry: CallEntry): CallEntry => {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, `${JSON.stringify(entry)}\n`, { flush: true });
    return entry;
  };
  return {
    async claim(key, server, tool) {
      const existing = read().get(key);
      if (existing) return { claimed: false, entry: existing };
      return { claimed: true, entry: append({ key, status: 'calling', server, tool, at: new Date().toISOString() }) };
    },
    async complete(key, result) {
      const existing = read().get(key);
      if (!existing) throw new Error(`no claimed call under ${key}`);
      return append({ ...existing, status: 'done', result, at: new Date().toISOString() });
    },
    async get(key) {
      return read().get(key);
    },
  };
}
