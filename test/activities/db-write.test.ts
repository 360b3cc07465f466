/**
 * The `db.write` executor against a real PostgreSQL 15: every effect is counted by a trigger on
 * the target table, so "once" means one row in `effects`, not one call that returned.
 */
import { Pool } from 'pg';
import { createDbWriteExecutor, LEDGER_TABLE, type DbWriteParams } from '../../activities/executors/db-write';
import { CommitRejectedError, type ExecutionContext } from '../../src/actions/executor';
import { DbWriteParamsSchema } from '../../src/actions/schemas';
import { createEgress } from '../../src/egress/guarded-fetch';
import { createLogger } from '../../src/observability/logger';
import { freePort } from '../../src/util/free-port';
import { startPostgres, type TestPostgres } from '../support/postgres';

let server: TestPostgres;
let pool: Pool;
let executor: ReturnType<typeof createDbWriteExecutor>;
const logger = createLogger({ level: 'silent' });

let counter = 0;
const unique = (prefix: string): string => `${prefix}-${++counter}`;
// db.write reaches its database through a configured pool, never the network guard: it allows nothing.
const ctx = (idempotencyKey = unique('key'), attempt = 1): ExecutionContext => ({
  idempotencyKey,
  attempt,
  workflowId: 'wf-db-write',
  logger,
  egress: createEgress({ allow: { entries: [] } }),
});
/** Parsed like execute.ts parses approved params. */
const params = (input: Record<string, unknown>): DbWriteParams =>
  DbWriteParamsSchema.parse({ database: 'accounts', table: 'accounts', ...input });

type Account = { id: string; owner: string; balance: string; order: number | null; note: string | null; tags: unknown; version: number };

async function row(id: string): Promise<Account | undefined> {
  return (await pool.query<Account>('SELECT * FROM accounts WHERE id = $1', [id])).rows[0];
}
async function rowJson(id: string): Promise<unknown> {
  return (await pool.query<{ row: unknown }>('SELECT to_jsonb(a) AS row FROM accounts a WHERE id = $1', [id])).rows[0]?.row;
}
/** How many times the trigger saw the row written. */
async function effects(id: string): Promise<number> {
  return Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM effects WHERE account_id = $1', [id])).rows[0]!.n);
}
async function totalEffects(): Promise<number> {
  return Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM effects')).rows[0]!.n);
}
async function ledger(key: string): Promise<Record<string, unknown> | undefined> {
  return (await pool.query(`SELECT * FROM ${LEDGER_TABLE} WHERE idempotency_key = $1`, [key])).rows[0] as
    Record<string, unknown> | undefined;
}
/** A row written behind the executor's back; its own trigger entry is cleared. */
async function seed(fields: { balance?: number; version?: number; owner?: string } = {}): Promise<string> {
  const id = unique('acct');
  await pool.query('INSERT INTO accounts (id, owner, balance, version) VALUES ($1, $2, $3, $4)', [
    id,
    fields.owner ?? 'ada',
    fields.balance ?? 100,
    fields.version ?? 1,
  ]);
  await pool.query('DELETE FROM effects WHERE account_id = $1', [id]);
  return id;
}
async function rejection(pending: Promise<unknown>): Promise<Error> {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  // Not toBeInstanceOf(Error): errors made by Node's net module come from another realm than Jest's.
  expect(err).toHaveProperty('message');
  return err as Error;
}

beforeAll(async () => {
  server = await startPostgres();
  pool = new Pool({ connectionString: server.url, max: 8 });
  pool.on('error', () => undefined);
  await pool.query(`
    CREATE TABLE accounts (
      id text PRIMARY KEY,
      owner text NOT NULL,
      balance numeric(12, 2) NOT NULL DEFAULT 0 CHECK (balance >= 0),
      "order" int,
      note text,
      tags jsonb,
      version int NOT NULL DEFAULT 1
    );
    CREATE TABLE effects (seq serial PRIMARY KEY, op text NOT NULL, account_id text NOT NULL);
    CREATE FUNCTION log_effect() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        INSERT INTO effects (op, account_id) VALUES (TG_OP, OLD.id);
      ELSE
        INSERT INTO effects (op, account_id) VALUES (TG_OP, NEW.id);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER accounts_effects AFTER INSERT OR UPDATE OR DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION log_effect();
  `);
  executor = createDbWriteExecutor({ pools: { accounts: pool } });
}, 30_000);

afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

describe('commit and verify', () => {
  it('inserts a row, records the key in the ledger and verifies the row', async () => {
    const id = unique('acct');
    const key = unique('key');
    const p = params({ operation: 'insert', key: { id }, values: { owner: 'ada', balance: 100.5, tags: ['vip', { tier: 2 }] } });
    const outcome = await executor.commit(p, ctx(key));
    expect(outcome.alreadyApplied).toBe(false);
    expect(outcome.record).toMatchObject({
      database: 'accounts',
      table: 'accounts',
      operation: 'insert',
      key: { id },
      ledger: LEDGER_TABLE,
    });
    expect(await row(id)).toMatchObject({ owner: 'ada', balance: '100.50', tags: ['vip', { tier: 2 }], version: 1 });
    expect(await ledger(key)).toMatchObject({
      table_name: 'accounts',
      operation: 'insert',
      key: { id },
      before: null,
      rolled_back_at: null,
    });
    expect(await effects(id)).toBe(1);
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toEqual({
      ok: true,
      observed: { ledger: 'applied', row: 'found', mismatched: {} },
    });
  });

  it('updates a row, bumps its version and keeps the previous row in the ledger', async () => {
    const id = await seed({ balance: 100, version: 3 });
    const previous = await rowJson(id);
    const key = unique('key');
    const p = params({ operation: 'update', key: { id }, values: { balance: 75.25, note: 'refund 24.75' }, expectedVersion: 3 });
    const outcome = await executor.commit(p, ctx(key));
    expect(outcome).toMatchObject({ alreadyApplied: false, record: { version: 4 } });
    expect(await row(id)).toMatchObject({ balance: '75.25', note: 'refund 24.75', version: 4, owner: 'ada' });
    expect((await ledger(key))?.['before']).toEqual(previous);
    expect(await effects(id)).toBe(1);
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toMatchObject({ ok: true });
  });

  it('deletes a row and verifies that it is gone', async () => {
    const id = await seed({ version: 2 });
    const previous = await rowJson(id);
    const key = unique('key');
    const p = params({ operation: 'delete', key: { id }, expectedVersion: 2 });
    const outcome = await executor.commit(p, ctx(key));
    expect(outcome.alreadyApplied).toBe(false);
    expect(await row(id)).toBeUndefined();
    expect((await ledger(key))?.['before']).toEqual(previous);
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toEqual({
      ok: true,
      observed: { ledger: 'applied', row: 'absent' },
    });
  });

  it('fails verification when the row no longer holds the written values', async () => {
    const id = await seed();
    const key = unique('key');
    const p = params({ operation: 'update', key: { id }, values: { balance: 50 } });
    const outcome = await executor.commit(p, ctx(key));
    await pool.query('UPDATE accounts SET balance = 10 WHERE id = $1', [id]);
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toEqual({
      ok: false,
      observed: { ledger: 'applied', row: 'found', mismatched: { balance: 10 } },
    });
  });

  it('fails verification when the ledger has no entry for the key', async () => {
    const id = await seed({ balance: 50 });
    const p = params({ operation: 'update', key: { id }, values: { balance: 50 } });
    await expect(executor.verify(p, {}, ctx(unique('never-committed')))).resolves.toMatchObject({
      ok: false,
      observed: { ledger: 'missing', row: 'found' },
    });
  });

  it('fails verification, rather than throwing, when the table is gone', async () => {
    await pool.query('CREATE TABLE scratch (id text PRIMARY KEY, note text)');
    const key = unique('key');
    const p = params({ table: 'scratch', operation: 'insert', key: { id: 'a' }, values: { note: 'x' } });
    const outcome = await executor.commit(p, ctx(key));
    await pool.query('DROP TABLE scratch');
    const verification = await executor.verify(p, outcome.record, ctx(key));
    expect(verification.ok).toBe(false);
    expect(verification.observed).toEqual({ error: expect.stringContaining('SQLSTATE 42P01') });
  });

  it('fails verification of a delete while the row is still there', async () => {
    const id = await seed();
    const key = unique('key');
    const p = params({ operation: 'delete', key: { id } });
    const outcome = await executor.commit(p, ctx(key));
    await pool.query("INSERT INTO accounts (id, owner) VALUES ($1, 'someone else')", [id]);
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toEqual({
      ok: false,
      observed: { ledger: 'applied', row: 'present' },
    });
  });
});

describe('idempotency', () => {
  it('applies one idempotency key once and reports the second commit as already applied', async () => {
    const id = await seed({ balance: 100 });
    const key = unique('key');
    const p = params({ operation: 'update', key: { id }, values: { balance: 60 } });
    const first = await executor.commit(p, ctx(key));
    const second = await executor.commit(p, ctx(key));
    expect(first.alreadyApplied).toBe(false);
    expect(second).toMatchObject({ alreadyApplied: true, record: { appliedAt: first.record['appliedAt'] } });
    expect(await effects(id)).toBe(1);
  });

  it('writes nothing when a retry follows a commit whose result was lost', async () => {
    const id = await seed({ balance: 100, version: 7 });
    const key = unique('key');
    const p = params({ operation: 'update', key: { id }, values: { balance: 90 }, expectedVersion: 7 });
    await executor.commit(p, ctx(key, 1)); // the worker dies before reporting this result
    const retry = await executor.commit(p, ctx(key, 2));
    expect(retry.alreadyApplied).toBe(true);
    expect(await row(id)).toMatchObject({ balance: '90.00', version: 8 });
    expect(await effects(id)).toBe(1);
  });

  it('leaves no trace when the connection dies mid-commit, and the retry applies the write once', async () => {
    const id = await seed({ balance: 100, version: 1 });
    const key = unique('key');
    const p = params({ operation: 'update', key: { id }, values: { balance: 5 }, expectedVersion: 1 });
    const crashing = new Pool({ connectionString: server.url, application_name: 'gatehouse-crash-test' });
    crashing.on('error', () => undefined);
    const blocker = await pool.connect();
    try {
      // Hold the row so the commit stops inside its transaction, after claiming the key.
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [id]);
      const pending = createDbWriteExecutor({ pools: { accounts: crashing } }).commit(p, ctx(key, 1));
      const waiting = await eventuallyPid();
      await pool.query('SELECT pg_terminate_backend($1)', [waiting]);
      const err = await rejection(pending);
      expect(err).not.toBeInstanceOf(CommitRejectedError);
      await blocker.query('ROLLBACK');
    } finally {
      blocker.release();
      await crashing.end();
    }
    expect(await ledger(key)).toBeUndefined();
    expect(await row(id)).toMatchObject({ balance: '100.00', version: 1 });
    const retry = await executor.commit(p, ctx(key, 2));
    expect(retry.alreadyApplied).toBe(false);
    expect(await row(id)).toMatchObject({ balance: '5.00', version: 2 });
    expect(await effects(id)).toBe(1);
  });

  it('lets two concurrent attempts with the same key write once', async () => {
    const id = unique('acct');
    const key = unique('key');
    const p = params({ operation: 'insert', key: { id }, values: { owner: 'grace' } });
    const outcomes = await Promise.all([executor.commit(p, ctx(key)), executor.commit(p, ctx(key, 2))]);
    expect(outcomes.map((o) => o.alreadyApplied).sort()).toEqual([false, true]);
    expect(await effects(id)).toBe(1);
  });

  it('refuses an idempotency key already used for a different write', async () => {
    const id = await seed();
    const key = unique('key');
    await executor.commit(params({ operation: 'update', key: { id }, values: { note: 'first' } }), ctx(key));
    const err = await rejection(executor.commit(params({ operation: 'delete', key: { id } }), ctx(key)));
    expect(err).toBeInstanceOf(CommitRejectedError);
    expect(await row(id)).toMatchObject({ note: 'first' });
  });
});

/** The backend of the crash test's commit, once it waits for the row lock. */
async function eventuallyPid(): Promise<number> {
  for (let i = 0; i < 250; i++) {
    const found = await pool.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'gatehouse-crash-test' AND wait_event_type = 'Lock'",
    );
    if (found.rows[0]) return found.rows[0].pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the commit never waited for the row lock');
}

describe('refusals', () => {
  it('refuses a stale expectedVersion and writes nothing', async () => {
    const id = await seed({ balance: 100, version: 5 });
    for (const p of [
      params({ operation: 'update', key: { id }, values: { balance: 0 }, expectedVersion: 4 }),
      params({ operation: 'delete', key: { id }, expectedVersion: 6 }),
    ]) {
      const key = unique('key');
      const err = await rejection(executor.commit(p, ctx(key)));
      expect(err).toBeInstanceOf(CommitRejectedError);
      expect(err.message).toMatch(/stale write.*version 5/);
      expect(await ledger(key)).toBeUndefined();
    }
    expect(await row(id)).toMatchObject({ balance: '100.00', version: 5 });
    expect(await effects(id)).toBe(0);
  });

  it('refuses to insert a row whose key exists, and to update or delete a missing row', async () => {
    const existing = await seed();
    const missing = unique('acct');
    const cases = [
      params({ operation: 'insert', key: { id: existing }, values: { owner: 'mallory' } }),
      params({ operation: 'update', key: { id: missing }, values: { balance: 1 } }),
      params({ operation: 'delete', key: { id: missing } }),
    ];
    for (const p of cases) {
      const key = unique('key');
      expect(await rejection(executor.commit(p, ctx(key)))).toBeInstanceOf(CommitRejectedError);
      expect(await ledger(key)).toBeUndefined();
    }
    expect(await row(existing)).toMatchObject({ owner: 'ada' });
    expect(await row(missing)).toBeUndefined();
  });

  it('turns violations that will never pass into rejections and leaves no ledger entry', async () => {
    const id = await seed({ balance: 100 });
    const cases = [
      params({ operation: 'update', key: { id }, values: { balance: -1 } }), // CHECK
      params({ operation: 'update', key: { id }, values: { owner: null } }), // NOT NULL
      params({ operation: 'update', key: { id }, values: { order: 'first' } }), // not an int
      params({ operation: 'update', key: { id }, values: { nickname: 'x' } }), // no such column
      params({ operation: 'insert', table: 'no_such_table', key: { id }, values: {} }),
    ];
    for (const p of cases) {
      const key = unique('key');
      const err = await rejection(executor.commit(p, ctx(key)));
      expect(err).toBeInstanceOf(CommitRejectedError);
      expect(err.message).toMatch(/SQLSTATE (23|22|42)/);
      expect(await ledger(key)).toBeUndefined();
    }
    expect(await row(id)).toMatchObject({ balance: '100.00', owner: 'ada', order: null });
  });

  it('rejects a deferred constraint that fails only at COMMIT', async () => {
    await pool.query(
      'CREATE TABLE transfers (id text PRIMARY KEY, account_id text REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED)',
    );
    const key = unique('key');
    const err = await rejection(
      executor.commit(params({ table: 'transfers', operation: 'insert', key: { id: 't1' }, values: { account_id: 'nobody' } }), ctx(key)),
    );
    expect(err).toBeInstanceOf(CommitRejectedError);
    expect(err.message).toMatch(/SQLSTATE 23503/);
    expect(await ledger(key)).toBeUndefined();
    expect((await pool.query('SELECT * FROM transfers')).rows).toEqual([]);
  });

  it('throws a retryable error when the database cannot be reached', async () => {
    const unreachable = new Pool({ host: '127.0.0.1', port: await freePort(), user: 'postgres', connectionTimeoutMillis: 2_000 });
    try {
      const offline = createDbWriteExecutor({ pools: { accounts: unreachable } });
      const err = await rejection(
        offline.commit(params({ operation: 'insert', key: { id: unique('acct') }, values: { owner: 'ada' } }), ctx()),
      );
      expect(err).not.toBeInstanceOf(CommitRejectedError);
      expect(err.message).toMatch(/ECONNREFUSED/);
    } finally {
      await unreachable.end();
    }
  });

  it('refuses a database this worker has no pool for, including names on Object.prototype', async () => {
    for (const database of ['billing', 'constructor', '__proto__']) {
      const err = await rejection(executor.commit(params({ database, operation: 'delete', key: { id: 'x' } }), ctx()));
      expect(err).toBeInstanceOf(CommitRejectedError);
      expect(err.message).toContain('is configured on this worker');
    }
  });

  it('refuses an empty key, which would match every row', async () => {
    await seed();
    const before = await totalEffects();
    const err = await rejection(executor.commit(params({ operation: 'update', key: {}, values: { balance: 0 } }), ctx()));
    expect(err).toBeInstanceOf(CommitRejectedError);
    expect(await totalEffects()).toBe(before);
  });

  it('refuses a key that matches more than one row', async () => {
    const owner = unique('shared-owner');
    const ids = [await seed({ owner, balance: 10 }), await seed({ owner, balance: 20 })];
    const err = await rejection(executor.commit(params({ operation: 'update', key: { owner }, values: { balance: 0 } }), ctx()));
    expect(err).toBeInstanceOf(CommitRejectedError);
    expect(err.message).toMatch(/matches 2 or more rows/);
    expect(await Promise.all(ids.map(async (id) => (await row(id))?.balance))).toEqual(['10.00', '20.00']);
  });

  it('refuses a key column that is also written', async () => {
    const id = await seed();
    const err = await rejection(executor.commit(params({ operation: 'update', key: { id }, values: { id: 'other' } }), ctx()));
    expect(err).toBeInstanceOf(CommitRejectedError);
    expect(await row(id)).toBeDefined();
  });
});

describe('SQL injection', () => {
  it('refuses a table name that is not a plain identifier, in the schema and in the executor', async () => {
    const table = 'accounts; DROP TABLE accounts; --';
    const raw = { database: 'accounts', table, operation: 'delete', key: { id: 'x' } } as const;
    expect(DbWriteParamsSchema.safeParse(raw).success).toBe(false);
    const err = await rejection(executor.commit(raw, ctx()));
    expect(err).toBeInstanceOf(CommitRejectedError);
    expect(err.message).toContain('not a plain SQL identifier');
    expect((await pool.query("SELECT to_regclass('accounts') IS NOT NULL AS present")).rows[0]).toEqual({ present: true });
  });

  it('refuses column names that are not plain identifiers, in keys and in values', async () => {
    const id = await seed({ balance: 100 });
    const before = await totalEffects();
    const cases = [
      params({ operation: 'update', key: { id }, values: { 'balance = 0, owner': 'x' } }),
      params({ operation: 'update', key: { 'id" = id OR "1': '1' }, values: { balance: 0 } }),
      params({ operation: 'update', key: { id }, values: { 'balance"=0--': 1 } }),
    ];
    for (const p of cases) {
      const err = await rejection(executor.commit(p, ctx()));
      expect(err).toBeInstanceOf(CommitRejectedError);
      expect(err.message).toContain('not a plain SQL identifier');
    }
    expect(await totalEffects()).toBe(before);
    expect(await row(id)).toMatchObject({ balance: '100.00' });
  });

  it('stores SQL in values literally', async () => {
    const id = unique("acct'); DROP TABLE accounts; --");
    const owner = "x'); DELETE FROM accounts; --";
    const note = 'Robert"); UPDATE accounts SET balance = 0; --';
    // An injected DELETE or UPDATE would show in the row count or the sum of balances.
    const accounts = async () =>
      (await pool.query<{ n: string; total: string }>('SELECT count(*) AS n, sum(balance) AS total FROM accounts')).rows[0]!;
    const before = await accounts();
    const key = unique('key');
    const p = params({ operation: 'insert', key: { id }, values: { owner, note, tags: { $1: "'; --" } } });
    const outcome = await executor.commit(p, ctx(key));
    expect(await row(id)).toMatchObject({ id, owner, note, tags: { $1: "'; --" } });
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toMatchObject({ ok: true });
    expect(await accounts()).toEqual({ n: String(Number(before.n) + 1), total: before.total });
  });

  it('quotes identifiers, so a reserved word is a column like any other', async () => {
    const id = await seed();
    await executor.commit(params({ operation: 'update', key: { id }, values: { order: 7 } }), ctx());
    expect(await row(id)).toMatchObject({ order: 7 });
  });

  it('reads no SQL from precondition field names', async () => {
    const id = await seed({ balance: 100 });
    const fields = ['balance; DROP TABLE accounts', 'balance'];
    await expect(
      executor.readPreconditions!(params({ operation: 'update', key: { id }, values: { balance: 1 } }), fields, ctx()),
    ).resolves.toEqual({ balance: 100 });
    expect(await row(id)).toBeDefined();
  });
});

describe('rollback', () => {
  it('restores the previous values and version of an updated row', async () => {
    const id = await seed({ balance: 100, version: 2 });
    const previous = await rowJson(id);
    const key = unique('key');
    const p = params({ operation: 'update', key: { id }, values: { balance: 1, note: 'oops' }, expectedVersion: 2 });
    const outcome = await executor.commit(p, ctx(key));
    const undone = await executor.rollback!(p, outcome.record, ctx(key));
    expect(undone).toMatchObject({ rolledBack: true, operation: 'update' });
    expect(await rowJson(id)).toEqual(previous);
    expect((await ledger(key))?.['rolled_back_at']).toBeInstanceOf(Date);
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toMatchObject({ ok: false, observed: { ledger: 'rolledBack' } });
  });

  it('re-inserts a deleted row exactly as it was', async () => {
    const id = await seed({ balance: 42, version: 9 });
    await pool.query("UPDATE accounts SET tags = '{\"a\": [1, 2]}', note = 'keep me' WHERE id = $1", [id]);
    const previous = await rowJson(id);
    const key = unique('key');
    const p = params({ operation: 'delete', key: { id }, expectedVersion: 9 });
    const outcome = await executor.commit(p, ctx(key));
    expect(await row(id)).toBeUndefined();
    await executor.rollback!(p, outcome.record, ctx(key));
    expect(await rowJson(id)).toEqual(previous);
  });

  it('re-inserts a deleted row with its generated-always identity', async () => {
    await pool.query(
      'CREATE TABLE IF NOT EXISTS entries (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, memo text, version int NOT NULL DEFAULT 1)',
    );
    const { id } = (await pool.query<{ id: number }>("INSERT INTO entries (memo) VALUES ('rent') RETURNING id")).rows[0]!;
    const key = unique('key');
    const p = params({ table: 'entries', operation: 'delete', key: { id } });
    const outcome = await executor.commit(p, ctx(key));
    await executor.rollback!(p, outcome.record, ctx(key));
    expect((await pool.query('SELECT id, memo, version FROM entries WHERE id = $1', [id])).rows).toEqual([
      { id, memo: 'rent', version: 1 },
    ]);
  });

  it('deletes an inserted row', async () => {
    const id = unique('acct');
    const key = unique('key');
    const p = params({ operation: 'insert', key: { id }, values: { owner: 'ada' } });
    const outcome = await executor.commit(p, ctx(key));
    await executor.rollback!(p, outcome.record, ctx(key));
    expect(await row(id)).toBeUndefined();
  });

  it('undoes once however often it is called, and a later commit with the key does not redo the write', async () => {
    const id = await seed({ balance: 100 });
    const key = unique('key');
    const p = params({ operation: 'update', key: { id }, values: { balance: 20 } });
    const outcome = await executor.commit(p, ctx(key));
    await executor.rollback!(p, outcome.record, ctx(key));
    const again = await executor.rollback!(p, outcome.record, ctx(key, 2));
    expect(again).toMatchObject({ rolledBack: true, alreadyRolledBack: true });
    const recommit = await executor.commit(p, ctx(key, 3));
    expect(recommit).toMatchObject({ alreadyApplied: true, record: { rolledBackAt: expect.any(String) } });
    expect(await row(id)).toMatchObject({ balance: '100.00' });
    expect(await effects(id)).toBe(2); // the write and its undo
  });

  it('refuses to restore over a change made after the write', async () => {
    const id = await seed({ balance: 100, version: 1 });
    const key = unique('key');
    const p = params({ operation: 'update', key: { id }, values: { balance: 80 }, expectedVersion: 1 });
    const outcome = await executor.commit(p, ctx(key));
    await pool.query('UPDATE accounts SET balance = 70, version = version + 1 WHERE id = $1', [id]);
    const err = await rejection(executor.rollback!(p, outcome.record, ctx(key)));
    expect(err).toBeInstanceOf(CommitRejectedError);
    expect(await row(id)).toMatchObject({ balance: '70.00', version: 3 });
    expect((await ledger(key))?.['rolled_back_at']).toBeNull();
  });

  it('reports nothing to undo for a key that was never applied', async () => {
    const id = await seed();
    const p = params({ operation: 'delete', key: { id } });
    await expect(executor.rollback!(p, {}, ctx())).resolves.toMatchObject({ rolledBack: false });
    expect(await row(id)).toBeDefined();
  });
});

describe('readPreconditions', () => {
  it('returns the current values of the requested columns', async () => {
    const id = await seed({ balance: 100, version: 2 });
    const p = params({ operation: 'update', key: { id }, values: { balance: 50 }, expectedVersion: 2 });
    await expect(executor.readPreconditions!(p, ['version', 'balance', 'owner'], ctx())).resolves.toEqual({
      version: 2,
      balance: 100,
      owner: 'ada',
    });
    await executor.commit(p, ctx());
    await expect(executor.readPreconditions!(p, ['version', 'balance'], ctx())).resolves.toEqual({ version: 3, balance: 50 });
  });

  it('leaves out a column or row that does not exist, so a precondition on it reads as drift', async () => {
    const id = await seed();
    await expect(
      executor.readPreconditions!(params({ operation: 'delete', key: { id } }), ['version', 'nickname'], ctx()),
    ).resolves.toStrictEqual({ version: 1 });
    await expect(
      executor.readPreconditions!(params({ operation: 'delete', key: { id: unique('acct') } }), ['version'], ctx()),
    ).resolves.toStrictEqual({});
  });
});
