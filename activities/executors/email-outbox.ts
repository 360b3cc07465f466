/**
 * The durable record of `email.send`: one entry per idempotency key, written with its Message-ID
 * before the SMTP send and marked sent after it. A worker that dies between the two leaves the
 * entry `sending`, and the next attempt knows it cannot tell whether the mail went out, instead of
 * forgetting, as a process's memory would, that it ever tried.
 *
 * PostgreSQL in production (shared by every worker, rows locked per key); a JSONL file for a
 * single dev worker.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseError, type Pool } from 'pg';

export const OutboxStatus = {
  /** The Message-ID is recorded and a send may have started: delivery unknown. */
  sending: 'sending',
  /** The SMTP server accepted the mail. */
  sent: 'sent',
  /** The SMTP server refused it, or no connection was made: nothing was delivered. */
  failed: 'failed',
} as const;
export type OutboxStatus = (typeof OutboxStatus)[keyof typeof OutboxStatus];

export interface OutboxEntry {
  idempotencyKey: string;
  messageId: string;
  status: OutboxStatus;
  /** Sends started under this key (a resend after an unknown outcome adds one). */
  attempts: number;
  /** Recipients and headers as sent, for the audit and for verify. */
  envelope: Record<string, unknown>;
  sentAt?: string;
}

export interface EmailOutbox {
  /**
   * Records the key and Message-ID before a send. `claimed` is false when the key was there
   * already; `entry` is then the earlier one, untouched.
   */
  claim(entry: Omit<OutboxEntry, 'status' | 'attempts' | 'sentAt'>): Promise<{ claimed: boolean; entry: OutboxEntry }>;
  /** Moves an entry to `sending` again for another send; returns it with `attempts` counted up. */
  retry(idempotencyKey: string): Promise<OutboxEntry>;
  mark(idempotencyKey: string, status: typeof OutboxStatus.sent | typeof OutboxStatus.failed): Promise<void>;
  get(idempotencyKey: string): Promise<OutboxEntry | undefined>;
}

export const OUTBOX_TABLE = 'gatehouse_email_outbox';

const OUTBOX_DDL = `CREATE TABLE IF NOT EXISTS ${OUTBOX_TABLE} (
  idempotency_key text PRIMARY KEY,
  message_id text NOT NULL UNIQUE,
  status text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 1,
  envelope jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
)`;

interface OutboxRow {
  idempotency_key: string;
  message_id: string;
  status: OutboxStatus;
  attempts: number;
  envelope: Record<string, unknown>;
  sent_at: Date | null;
}

const entryOf = (row: OutboxRow): OutboxEntry => ({
  idempotencyKey: row.idempotency_key,
  messageId: row.message_id,
  status: row.status,
  attempts: row.attempts,
  envelope: row.envelope,
  ...(row.sent_at ? { sentAt: row.sent_at.toISOString() } : {}),
});

export function createPostgresOutbox(pool: Pool): EmailOutbox {
  let ready: Promise<void> | undefined;
  const ensure = (): Promise<void> =>
    (ready ??= pool.query(OUTBOX_DDL).then(
      () => undefined,
      (err: unknown) => {
        ready = undefined;
        // Two workers creating it at once: the loser's next call finds the table.
        if (err instanceof DatabaseError && (err.code === '23505' || err.code === '42P07')) return;
        throw err;
      },
    ));
  const get = async (key: string): Promise<OutboxEntry | undefined> => {
    await ensure();
    const row = (await pool.query<OutboxRow>(`SELECT * FROM ${OUTBOX_TABLE} WHERE idempotency_key = $1`, [key])).rows[0];
    return row ? entryOf(row) : undefined;
  };
  return {
    async claim(entry) {
      await ensure();
      const inserted = await pool.query<OutboxRow>(
        `INSERT INTO ${OUTBOX_TABLE} (idempotency_key, message_id, status, envelope) VALUES ($1, $2, 'sending', $3::jsonb)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
        [entry.idempotencyKey, entry.messageId, JSON.stringify(entry.envelope)],
      );
      if (inserted.rows[0]) return { claimed: true, entry: entryOf(inserted.rows[0]) };
      return { claimed: false, entry: (await get(entry.idempotencyKey))! };
    },
    async retry(key) {
      await ensure();
      const row = (
        await pool.query<OutboxRow>(
          `UPDATE ${OUTBOX_TABLE} SET status = 'sending', attempts = attempts + 1 WHERE idempotency_key = $1 AND status <> 'sent' RETURNING *`,
          [key],
        )
      ).rows[0];
      if (!row) throw new Error(`outbox entry ${key} is missing or already sent`);
      return entryOf(row);
    },
    async mark(key, status) {
      await ensure();
      await pool.query(
        `UPDATE ${OUTBOX_TABLE} SET status = $2, sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END WHERE idempotency_key = $1`,
        [key, status],
      );
    },
    get,
  };
}

/** Dev only: one worker, one file; the last line for a key is its state. */
export function createFileOutbox(file: string): EmailOutbox {
  const read = (): Map<string, OutboxEntry> => {
    const entries = new Map<string, OutboxEntry>();
    if (!existsSync(file)) return entries;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line) as OutboxEntry;
      entries.set(entry.idempotencyKey, entry);
    }
    return entries;
  };
  const write = (entry: OutboxEntry): OutboxEntry => {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, `${JSON.stringify(entry)}\n`);
    return entry;
  };
  return {
    async claim(entry) {
      const earlier = read().get(entry.idempotencyKey);
      if (earlier) return { claimed: false, entry: earlier };
      return { claimed: true, entry: write({ ...entry, status: OutboxStatus.sending, attempts: 1 }) };
    },
    async retry(key) {
      const earlier = read().get(key);
      if (!earlier || earlier.status === OutboxStatus.sent) throw new Error(`outbox entry ${key} is missing or already sent`);
      return write({ ...earlier, status: OutboxStatus.sending, attempts: earlier.attempts + 1 });
    },
    async mark(key, status) {
      const earlier = read().get(key);
      if (earlier) write({ ...earlier, status, ...(status === OutboxStatus.sent ? { sentAt: new Date().toISOString() } : {}) });
    },
    async get(key) {
      return read().get(key);
    },
  };
}
