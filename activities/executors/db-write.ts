/**
 * `db.write`: inserts, updates or deletes one row of a PostgreSQL table. The write and a ledger
 * row keyed by the idempotency key commit in one transaction, so a retry after a crash finds its
 * own ledger row and writes nothing; the ledger also keeps the row as it was, for rollback.
 *
 * Identifiers come from the agent, so each one must match a plain-identifier pattern and is then
 * quoted; values never enter SQL text: they travel as one JSON parameter that PostgreSQL converts
 * to the column types (`jsonb_populate_record`), the same way for the write, verify and rollback.
 */
import { DatabaseError, escapeIdentifier, Pool, type PoolClient, type PoolConfig } from 'pg';
import type { z } from 'zod';
import { CommitRejectedError, type CommitRecord, type Executor, type VerifyOutcome } from '../../src/actions/executor';
import type { DbWriteParamsSchema } from '../../src/actions/schemas';
import type { Logger } from '../../src/observability/logger';

export type DbWriteParams = z.infer<typeof DbWriteParamsSchema>;

/** Lives in each target database, next to the tables it guards, so it commits with the write. */
export const LEDGER_TABLE = 'gatehouse_applied';

const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
  idempotency_key text PRIMARY KEY,
  table_name text NOT NULL,
  operation text NOT NULL,
  key jsonb NOT NULL,
  before jsonb,
  applied_at timestamptz NOT NULL DEFAULT now(),
  rolled_back_at timestamptz
)`;

/** Unquoted-identifier shape, at most 63 bytes (PostgreSQL silently truncates longer names). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** The column `expectedVersion` is checked against and bumped on update. */
const VERSION_COLUMN = 'version';
/**
 * A row locked by someone else or a slow statement fails the attempt (and Temporal retries it)
 * well inside the activity's 30 s start-to-close timeout, instead of being cut off mid-commit.
 */
const TRANSACTION_LIMITS = "SET LOCAL lock_timeout = '5s'; SET LOCAL statement_timeout = '15s'";
/**
 * SQLSTATE classes that the same statement will hit again on every retry: data exceptions (22),
 * integrity constraints (23), unknown table or column and missing privileges (42), check option
 * (44), unsupported feature (0A). Everything else (connection, lock timeout, serialization,
 * shutdown) may pass on a later attempt.
 */
const PERMANENT_SQLSTATE = /^(22|23|42|44|0A)/;

export interface DbWriteExecutorOptions {
  /** Pools by the `database` name proposals use, or a lookup for pools made on demand. */
  pools: Record<string, Pool> | ((database: string) => Pool | undefined);
}

/** Validated, quoted pieces of one write; built again from params by every method. */
interface Target {
  table: string;
  keyColumns: string[];
  keyValues: Array<string | number>;
  /** Column names written (not quoted), in params order. */
  written: string[];
  /** Key and values as one JSON object, converted to the row type by PostgreSQL. */
  rowJson: string;
  keyJson: string;
}

type Row = Record<string, unknown>;

function rejected(message: string): CommitRejectedError {
  return new CommitRejectedError(`db.write refused: ${message}`);
}

function identifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw rejected(`${what} ${JSON.stringify(name)} is not a plain SQL identifier`);
  return escapeIdentifier(name);
}

function targetOf(params: DbWriteParams): Target {
  const table = identifier(params.table, 'table');
  const keyEntries = Object.entries(params.key);
  if (keyEntries.length === 0) throw rejected('the key names no column, so it would match every row');
  const keyColumns = keyEntries.map(([column]) => identifier(column, 'key column'));
  const values = params.values ?? {};
  const written = Object.keys(values);
  for (const column of written) identifier(column, 'column');
  const overlap = written.filter((column) => Object.hasOwn(params.key, column));
  if (overlap.length > 0) throw rejected(`key column(s) ${overlap.join(', ')} also appear in values; the key only identifies the row`);
  switch (params.operation) {
    case 'insert':
      if (params.expectedVersion !== undefined)
        throw rejected('expectedVersion applies to update and delete; an insert has no previous version');
      break;
    case 'update':
      if (written.length === 0) throw rejected('an update needs values');
      if (params.expectedVersion !== undefined && written.includes(VERSION_COLUMN)) {
        throw rejected(`"${VERSION_COLUMN}" is bumped by expectedVersion and cannot also be written`);
      }
      break;
    case 'delete':
      if (written.length > 0) throw rejected('a delete takes no values');
      break;
    default: {
      const never: never = params.operation;
      throw rejected(`unknown operation ${String(never)}`);
    }
  }
  return {
    table,
    keyColumns,
    keyValues: keyEntries.map(([, value]) => value),
    written,
    rowJson: JSON.stringify({ ...params.key, ...values }),
    keyJson: JSON.stringify(params.key),
  };
}

/** `target."a" = $n AND target."b" = $n+1`, the key values being parameters from `first` on. */
function whereKey(target: Target, first: number): string {
  return target.keyColumns.map((column, i) => `target.${column} = $${first + i}`).join(' AND ');
}

function classify(err: unknown, doing: string): Error {
  if (err instanceof CommitRejectedError) return err;
  if (err instanceof DatabaseError && err.code && PERMANENT_SQLSTATE.test(err.code)) {
    return new CommitRejectedError(`db.write refused while ${doing}: ${err.message} (SQLSTATE ${err.code})`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

export interface Finish<T> {
  /** False rolls the transaction back (nothing to keep), true commits it. */
  commit: boolean;
  value: T;
}

export async function inTransaction<T>(pool: Pool, begin: string, work: (client: PoolClient) => Promise<Finish<T>>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  // A connection lost while checked out is also emitted as an 'error' event, and an unheard
  // 'error' event would crash the worker; the failed query already carries the error.
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query(`${begin}; ${TRANSACTION_LIMITS}`);
    const finish = await work(client);
    await client.query(finish.commit ? 'COMMIT' : 'ROLLBACK');
    return finish.value;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.off('error', onError);
    // A client whose connection failed mid-transaction must not go back to the pool.
    client.release(broken);
  }
}

async function ledgerExists(client: PoolClient): Promise<boolean> {
  const result = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [LEDGER_TABLE]);
  return result.rows[0]?.exists === true;
}

/** Checked first so that a role without CREATE can use a ledger an operator made for it. */
async function ensureLedger(client: PoolClient): Promise<void> {
  if (await ledgerExists(client)) return;
  try {
    await client.query(LEDGER_DDL);
  } catch (err) {
    // Two first commits can race to create it (the loser sees a duplicate pg_type row); its retry finds the table.
    if (err instanceof DatabaseError && (err.code === '23505' || err.code === '42P07')) {
      throw new Error(`the ${LEDGER_TABLE} ledger was being created concurrently; retry`, { cause: err });
    }
    throw err;
  }
}

/** The target rows by key (at most two: enough to tell "one" from "several"). */
async function rowsByKey(client: PoolClient, target: Target, lock: boolean): Promise<Row[]> {
  const result = await client.query<{ row: Row }>(
    `SELECT to_jsonb(target) AS row FROM ${target.table} AS target WHERE ${whereKey(target, 1)} LIMIT 2${lock ? ' FOR UPDATE' : ''}`,
    target.keyValues,
  );
  return result.rows.map((r) => r.row);
}

interface Comparison {
  found: boolean;
  /** Written columns whose stored value differs from the written one, with the stored value. */
  mismatched: Record<string, unknown>;
}

/**
 * Compares the stored row with what the params write, in SQL: both sides go through the column
 * types, so `100.50` matches `100.5` and a timestamp matches its ISO string.
 */
async function compareRow(client: PoolClient, target: Target, extra: Record<string, unknown>, lock: boolean): Promise<Comparison> {
  const expected = { ...JSON.parse(target.rowJson), ...extra } as Row;
  const columns = [...target.written, ...Object.keys(extra)];
  const select = columns.flatMap((column, i) => {
    const quoted = escapeIdentifier(column);
    return [
      `to_jsonb(target.${quoted}) IS NOT DISTINCT FROM to_jsonb(written.${quoted}) AS same_${i}`,
      `to_jsonb(target.${quoted}) AS actual_${i}`,
    ];
  });
  const result = await client.query<Row>(
    `SELECT ${['1 AS found', ...select].join(', ')}
       FROM ${target.table} AS target, jsonb_populate_record(NULL::${target.table}, $1::jsonb) AS written
      WHERE ${whereKey(target, 2)} LIMIT 2${lock ? ' FOR UPDATE OF target' : ''}`,
    [JSON.stringify(expected), ...target.keyValues],
  );
  if (result.rows.length > 1) throw rejected(`the key matches ${result.rows.length} or more rows; it must identify one`);
  const row = result.rows[0];
  if (!row) return { found: false, mismatched: {} };
  const mismatched: Record<string, unknown> = {};
  columns.forEach((column, i) => {
    if (row[`same_${i}`] !== true) mismatched[column] = row[`actual_${i}`];
  });
  return { found: true, mismatched };
}

/** Pools for a `name → connection URL` map, with idle-client errors logged instead of crashing the worker. */
export function createDbWritePools(urls: Record<string, string>, logger: Logger, config: PoolConfig = {}): Record<string, Pool> {
  return Object.fromEntries(
    Object.entries(urls).map(([database, connectionString]) => {
      const pool = new Pool({
        max: 4,
        connectionTimeoutMillis: 5_000,
        idleTimeoutMillis: 30_000,
        application_name: 'gatehouse',
        ...config,
        connectionString,
      });
      pool.on('error', (err) => logger.warn({ database, err: err.message }, 'idle database connection failed'));
      return [database, pool];
    }),
  );
}

export function createDbWriteExecutor(options: DbWriteExecutorOptions): Executor<DbWriteParams> {
  const { pools } = options;

  function poolFor(database: string): Pool {
    // hasOwn: a database named "constructor" must not find Object.prototype.constructor.
    const pool = typeof pools === 'function' ? pools(database) : Object.hasOwn(pools, database) ? pools[database] : undefined;
    if (!pool) throw rejected(`no database "${database}" is configured on this worker`);
    return pool;
  }

  return {
    async commit(params, ctx) {
      const target = targetOf(params);
      const pool = poolFor(params.database);
      const base = { database: params.database, table: params.table, operation: params.operation, key: params.key, ledger: LEDGER_TABLE };
      const outcome = await inTransaction(pool, 'BEGIN', async (client) => {
        await ensureLedger(client);
        // Claim the key first: a concurrent attempt with the same key waits here for this
        // transaction and then finds the claim, so two attempts can never both write.
        const claim = await client.query<{ applied_at: Date }>(
          `INSERT INTO ${LEDGER_TABLE} (idempotency_key, table_name, operation, key) VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING applied_at`,
          [ctx.idempotencyKey, params.table, params.operation, target.keyJson],
        );
        const claimed = claim.rows[0];
        if (!claimed) {
          const earlier = await client.query<{ same: boolean; applied_at: Date; rolled_back_at: Date | null }>(
            `SELECT (table_name = $2 AND operation = $3 AND key = $4::jsonb) AS same, applied_at, rolled_back_at
               FROM ${LEDGER_TABLE} WHERE idempotency_key = $1`,
            [ctx.idempotencyKey, params.table, params.operation, target.keyJson],
          );
          const row = earlier.rows[0]!;
          if (!row.same) throw rejected(`idempotency key ${ctx.idempotencyKey} was already used for a different write`);
          return {
            commit: false,
            value: {
              alreadyApplied: true,
              record: {
                ...base,
                appliedAt: row.applied_at.toISOString(),
                ...(row.rolled_back_at ? { rolledBackAt: row.rolled_back_at.toISOString() } : {}),
              },
            },
          };
        }
        const record: CommitRecord = { ...base, appliedAt: claimed.applied_at.toISOString() };
        const before = await write(client, params, target, record);
        await client.query(`UPDATE ${LEDGER_TABLE} SET before = $2::jsonb WHERE idempotency_key = $1`, [
          ctx.idempotencyKey,
          before === null ? null : JSON.stringify(before),
        ]);
        return { commit: true, value: { alreadyApplied: false, record } };
      }).catch((err: unknown) => {
        // Classified here, around COMMIT too: a deferred constraint fails only there.
        throw classify(err, `writing ${params.operation} to ${params.table}`);
      });
      ctx.logger.info({ table: params.table, operation: params.operation, alreadyApplied: outcome.alreadyApplied }, 'db.write commit');
      return outcome;
    },

    async verify(params, _record, ctx) {
      const target = targetOf(params);
      try {
        // One snapshot for ledger and row, and read-only: verify must never write.
        return await inTransaction(poolFor(params.database), 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
          const value = await verifyIn(client, params, target, ctx.idempotencyKey);
          return { commit: false, value };
        });
      } catch (err) {
        const classified = classify(err, 'verifying');
        // A table or column that does not exist will not appear on a retry: report, don't throw.
        if (classified instanceof CommitRejectedError) return { ok: false, observed: { error: classified.message } };
        throw classified;
      }
    },

    async readPreconditions(params, fields) {
      const target = targetOf(params);
      return inTransaction(poolFor(params.database), 'BEGIN READ ONLY', async (client) => {
        const rows = await rowsByKey(client, target, false);
        if (rows.length > 1) throw rejected(`the key matches ${rows.length} or more rows; it must identify one`);
        const row = rows[0] ?? {};
        // Values as PostgreSQL's to_jsonb renders them; a missing row or column is left out, so
        // any precondition on it reads as drift.
        return { commit: false, value: Object.fromEntries(fields.filter((f) => Object.hasOwn(row, f)).map((f) => [f, row[f]])) };
      });
    },

    async rollback(params, _record, ctx) {
      const target = targetOf(params);
      const result = await inTransaction(poolFor(params.database), 'BEGIN', async (client): Promise<Finish<CommitRecord>> => {
        if (!(await ledgerExists(client)))
          return { commit: false, value: { rolledBack: false, reason: 'nothing was applied under this key' } };
        const ledger = await client.query<{ before: Row | null; rolled_back_at: Date | null }>(
          `SELECT before, rolled_back_at FROM ${LEDGER_TABLE} WHERE idempotency_key = $1 FOR UPDATE`,
          [ctx.idempotencyKey],
        );
        const entry = ledger.rows[0];
        if (!entry) return { commit: false, value: { rolledBack: false, reason: 'nothing was applied under this key' } };
        if (entry.rolled_back_at)
          return { commit: false, value: { rolledBack: true, alreadyRolledBack: true, rolledBackAt: entry.rolled_back_at.toISOString() } };
        await undo(client, params, target, entry.before);
        const marked = await client.query<{ rolled_back_at: Date }>(
          `UPDATE ${LEDGER_TABLE} SET rolled_back_at = now() WHERE idempotency_key = $1 RETURNING rolled_back_at`,
          [ctx.idempotencyKey],
        );
        return {
          commit: true,
          value: { rolledBack: true, operation: params.operation, rolledBackAt: marked.rows[0]!.rolled_back_at.toISOString() },
        };
      }).catch((err: unknown) => {
        throw classify(err, `rolling back ${params.operation} on ${params.table}`);
      });
      ctx.logger.info({ table: params.table, operation: params.operation, ...result }, 'db.write rollback');
      return result;
    },
  };
}

/** Performs the write inside the commit's transaction; returns the row as it was (null for insert). */
async function write(client: PoolClient, params: DbWriteParams, target: Target, record: CommitRecord): Promise<Row | null> {
  const rows = await rowsByKey(client, target, true);
  if (params.operation === 'insert') {
    if (rows.length > 0) throw rejected(`a row with key ${target.keyJson} already exists in ${params.table}`);
    const columns = Object.keys(JSON.parse(target.rowJson) as Row).map(escapeIdentifier);
    await client.query(
      `INSERT INTO ${target.table} (${columns.join(', ')})
       SELECT ${columns.map((c) => `written.${c}`).join(', ')} FROM jsonb_populate_record(NULL::${target.table}, $1::jsonb) AS written`,
      [target.rowJson],
    );
    return null;
  }
  if (rows.length === 0) throw rejected(`no row with key ${target.keyJson} in ${params.table}`);
  if (rows.length > 1) throw rejected(`the key matches ${rows.length} or more rows in ${params.table}; it must identify one`);
  const before = rows[0]!;
  if (params.expectedVersion !== undefined) {
    if (!Object.hasOwn(before, VERSION_COLUMN))
      throw rejected(`${params.table} has no "${VERSION_COLUMN}" column to check expectedVersion against`);
    if (before[VERSION_COLUMN] !== params.expectedVersion) {
      throw rejected(
        `stale write: ${params.table} ${target.keyJson} is at version ${String(before[VERSION_COLUMN])}, the approved write expected ${params.expectedVersion}`,
      );
    }
  }
  if (params.operation === 'delete') {
    await client.query(`DELETE FROM ${target.table} AS target WHERE ${whereKey(target, 1)}`, target.keyValues);
    return before;
  }
  const assignments = target.written.map((column) => `${escapeIdentifier(column)} = written.${escapeIdentifier(column)}`);
  if (params.expectedVersion !== undefined)
    assignments.push(`${escapeIdentifier(VERSION_COLUMN)} = target.${escapeIdentifier(VERSION_COLUMN)} + 1`);
  await client.query(
    `UPDATE ${target.table} AS target SET ${assignments.join(', ')}
       FROM jsonb_populate_record(NULL::${target.table}, $1::jsonb) AS written
      WHERE ${whereKey(target, 2)}`,
    [target.rowJson, ...target.keyValues],
  );
  if (params.expectedVersion !== undefined) record['version'] = params.expectedVersion + 1;
  return before;
}

async function verifyIn(client: PoolClient, params: DbWriteParams, target: Target, idempotencyKey: string): Promise<VerifyOutcome> {
  let ledger: 'applied' | 'missing' | 'rolledBack' = 'missing';
  if (await ledgerExists(client)) {
    const entry = await client.query<{ rolled_back_at: Date | null }>(
      `SELECT rolled_back_at FROM ${LEDGER_TABLE} WHERE idempotency_key = $1`,
      [idempotencyKey],
    );
    const row = entry.rows[0];
    if (row) ledger = row.rolled_back_at ? 'rolledBack' : 'applied';
  }
  if (params.operation === 'delete') {
    const remaining = (await rowsByKey(client, target, false)).length;
    return { ok: ledger === 'applied' && remaining === 0, observed: { ledger, row: remaining === 0 ? 'absent' : 'present' } };
  }
  const comparison = await compareRow(client, target, {}, false);
  const ok = ledger === 'applied' && comparison.found && Object.keys(comparison.mismatched).length === 0;
  return { ok, observed: { ledger, row: comparison.found ? 'found' : 'absent', mismatched: comparison.mismatched } };
}

/**
 * Undoes the write, but only while the row still shows it: restoring over someone else's later
 * change would be a stale write of its own, so that case needs a human.
 */
async function undo(client: PoolClient, params: DbWriteParams, target: Target, before: Row | null): Promise<void> {
  if (params.operation !== 'insert' && before === null) throw rejected(`the ledger holds no previous row for this ${params.operation}`);
  switch (params.operation) {
    case 'insert': {
      const now = await compareRow(client, target, {}, true);
      if (!now.found) return;
      if (Object.keys(now.mismatched).length > 0)
        throw rejected(`the inserted row was changed since (${Object.keys(now.mismatched).join(', ')}); not deleting it`);
      await client.query(`DELETE FROM ${target.table} AS target WHERE ${whereKey(target, 1)}`, target.keyValues);
      return;
    }
    case 'update': {
      const bumped = params.expectedVersion !== undefined ? { [VERSION_COLUMN]: params.expectedVersion + 1 } : {};
      const now = await compareRow(client, target, bumped, true);
      if (!now.found) throw rejected(`the updated row ${target.keyJson} no longer exists; nothing to restore into`);
      if (Object.keys(now.mismatched).length > 0)
        throw rejected(`the row was changed since the write (${Object.keys(now.mismatched).join(', ')}); not restoring over it`);
      const restored = [...target.written, ...Object.keys(bumped)].map(escapeIdentifier);
      await client.query(
        `UPDATE ${target.table} AS target SET ${restored.map((c) => `${c} = previous.${c}`).join(', ')}
           FROM jsonb_populate_record(NULL::${target.table}, $1::jsonb) AS previous
          WHERE ${whereKey(target, 2)}`,
        [JSON.stringify(before), ...target.keyValues],
      );
      return;
    }
    case 'delete': {
      if ((await rowsByKey(client, target, true)).length > 0)
        throw rejected(`a row with key ${target.keyJson} exists again; not re-inserting the deleted one`);
      await client.query(
        `INSERT INTO ${target.table} OVERRIDING SYSTEM VALUE SELECT * FROM jsonb_populate_record(NULL::${target.table}, $1::jsonb)`,
        [JSON.stringify(before)],
      );
      return;
    }
    default: {
      const never: never = params.operation;
      throw rejected(`unknown operation ${String(never)}`);
    }
  }
}
