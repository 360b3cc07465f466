/**
 * A production database write behind an approval, end to end: real Temporal, real PostgreSQL,
 * the write and its idempotency key committed in one transaction, verified by reading it back.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createDbWritePools } from '../../activities/executors/db-write';
import { createLogger } from '../../src/observability/logger';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';
import { startPostgres, type TestPostgres } from '../support/postgres';

let pg: TestPostgres;
let pool: Pool;
let h: Harness;

beforeAll(async () => {
  pg = await startPostgres();
  // The executor's own pool factory: it listens for errors of idle clients (a server shutting down).
  pool = createDbWritePools({ accounts: pg.url }, createLogger({ level: 'silent' }))['accounts']!;
  await pool.query('CREATE TABLE customers (id integer PRIMARY KEY, email text NOT NULL, version integer NOT NULL DEFAULT 1)');
  h = await createHarness({ databases: { accounts: pool } });
  await h.startWorker();
}, 60_000);
afterAll(async () => {
  await h?.close();
  await pool?.end();
  await pg?.stop();
});

function proposal(id: number, expectedVersion: number) {
  return {
    id: `db-${randomUUID()}`,
    actionType: 'db.write',
    params: {
      database: 'accounts',
      table: 'customers',
      operation: 'update' as const,
      key: { id },
      values: { email: 'new@example.org' },
      expectedVersion,
    },
    agent: { id: 'data-agent', name: 'Account agent' },
    requestedBy: { id: 'peter' },
    summary: `Update the email of customer ${id}`,
    evidence: {
      rationale: 'confirmed by phone',
      preconditions: { version: expectedVersion },
      diff: '- old\n+ new',
      rollbackPlan: 'restore old email',
    },
  };
}

async function approve(workflowId: string): Promise<void> {
  const handle = h.client.workflow.getHandle(workflowId);
  await eventually(async () => ((await handle.query(getStateQuery)).status === 'awaiting_approval' ? true : undefined));
  await handle.executeUpdate(decideUpdate, { args: [await h.decision(workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
}

describe('db.write on PostgreSQL', () => {
  it('writes the approved row once, with its idempotency key, and verifies it', async () => {
    await pool.query("INSERT INTO customers (id, email, version) VALUES (1, 'old@example.org', 3)");
    const run = await h.gatehouse.propose(proposal(1, 3));
    await approve(run.workflowId);
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(final.execution?.verification?.ok).toBe(true);
    const row = await pool.query('SELECT email, version FROM customers WHERE id = 1');
    expect(row.rows[0]).toEqual({ email: 'new@example.org', version: 4 });
    const ledger = await pool.query('SELECT count(*)::int AS n FROM gatehouse_applied WHERE idempotency_key = $1', [
      final.execution!.idempotencyKey,
    ]);
    expect(ledger.rows[0].n).toBe(1);
  });

  it('goes back for re-approval when the row changed after the approval, and never applies the stale write', async () => {
    await pool.query("INSERT INTO customers (id, email, version) VALUES (2, 'old@example.org', 5)");
    const run = await h.gatehouse.propose(proposal(2, 5));
    const handle = h.client.workflow.getHandle(run.workflowId);
    await eventually(async () => ((await handle.query(getStateQuery)).status === 'awaiting_approval' ? true : undefined));
    await pool.query('UPDATE customers SET version = 6 WHERE id = 2');
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    const reopened = await eventually(async () => {
      const s = await handle.query(getStateQuery);
      return s.round === 2 ? s : undefined;
    });
    expect(reopened.preconditionDrift).toEqual([{ field: 'version', expected: 5, actual: 6 }]);
    expect((await pool.query('SELECT email FROM customers WHERE id = 2')).rows[0].email).toBe('old@example.org');
    // The agent's expectedVersion is still 5: the re-approved commit is refused as stale, never applied.
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    const final = await run.result();
    expect(final.status).toBe('failed');
    expect(final.execution?.error).toMatch(/version/);
    expect((await pool.query('SELECT email, version FROM customers WHERE id = 2')).rows[0]).toEqual({
      email: 'old@example.org',
      version: 6,
    });
  });
});
