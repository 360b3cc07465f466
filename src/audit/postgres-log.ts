/**
 * The audit chain in PostgreSQL, for production: shared by every worker, backed up with the
 * rest of the company's records. Appends take a transaction-scoped advisory lock so workers on
 * different machines extend one chain in turn.
 */
import type { Pool } from 'pg';
import { extendChain, type AuditKeyring, type AuditLog, type ChainedLine } from './chain';
import type { AuditEntry } from './record';

/** Any constant works; it only has to be the same for every writer of this table. */
const CHAIN_LOCK = 7_342_118;

const DDL = `CREATE TABLE IF NOT EXISTS gatehouse_audit (
  seq bigint PRIMARY KEY,
  entry_id text NOT NULL UNIQUE,
  line jsonb NOT NULL
)`;

/** With a keyring, new lines are keyed (HMAC) with its first key. */
/** Runs `ddl` holding the advisory lock `lockId`, so writers starting together create a table once. */
export async function createTableInTurn(pool: Pool, lockId: number, ddl: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [lockId]);
    await client.query(ddl);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export function createPostgresAuditLog(pool: Pool, keyring?: AuditKeyring): AuditLog {
  let ready: Promise<unknown> | undefined;
  // Two workers starting at once would race CREATE TABLE IF NOT EXISTS (a unique violation in
  // the catalog): the chain's lock makes them take turns. A failure is retried on the next call.
  const ensureTable = () =>
    (ready ??= createTableInTurn(pool, CHAIN_LOCK, DDL).catch((err: unknown) => {
      ready = undefined;
      throw err;
    }));
  return {
    async append(entries: AuditEntry[]) {
      await ensureTable();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
        const last = await client.query<{ line: ChainedLine }>('SELECT line FROM gatehouse_audit ORDER BY seq DESC LIMIT 1');
        const ids = entries.map((e) => e.entryId);
        const present = await client.query<{ entry_id: string }>('SELECT entry_id FROM gatehouse_audit WHERE entry_id = ANY($1)', [ids]);
        const known = new Set(present.rows.map((r) => r.entry_id));
        const fresh = extendChain({ ...(last.rows[0] ? { last: last.rows[0].line } : {}), has: (id) => known.has(id) }, entries, keyring);
        for (const line of fresh) {
          await client.query('INSERT INTO gatehouse_audit (seq, entry_id, line) VALUES ($1, $2, $3)', [
            line.seq,
            line.entryId,
            JSON.stringify(line),
          ]);
        }
        await client.query('COMMIT');
        const head = fresh.at(-1) ?? last.rows[0]?.line;
        return { appended: fresh.length, ...(head ? { head: { seq: head.seq, hash: head.hash } } : {}) };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async read() {
      await ensureTable();
      const rows = await pool.query<{ line: ChainedLine }>('SELECT line FROM gatehouse_audit ORDER BY seq');
      return rows.rows.map((r) => r.line);
    },
    async head() {
      await ensureTable();
      const last = await pool.query<{ line: ChainedLine }>('SELECT line FROM gatehouse_audit ORDER BY seq DESC LIMIT 1');
      const line = last.rows[0]?.line;
      return line ? { seq: line.seq, hash: line.hash } : undefined;
    },
    describe: () => 'PostgreSQL table gatehouse_audit',
    close: () => pool.end(),
  };
}
