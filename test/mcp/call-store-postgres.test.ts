/**
 * The MCP call record in a real PostgreSQL, shared by two workers: each worker has its own pool
 * and its own connection to the real stdio downstream server, and the downstream server counts
 * the calls it received whichever worker made them.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import { CommitRejectedError, type ExecutionContext } from '../../src/actions/executor';
import { CALLS_TABLE, createPostgresCallStore, type CallStore } from '../../src/mcp/call-store';
import { discoverCatalog } from '../../src/mcp/catalog';
import { createDownstream, type Downstream } from '../../src/mcp/downstream';
import { createMcpToolExecutor } from '../../src/mcp/executor';
import { createLogger } from '../../src/observability/logger';
import { startPostgres, type TestPostgres } from '../support/postgres';

const NOTES_SERVER = resolve(__dirname, '../support/mcp-notes-server.ts');

interface TestWorker {
  pool: Pool;
  store: CallStore;
  downstream: Downstream;
  executor: ReturnType<typeof createMcpToolExecutor>;
}

let pg: TestPostgres;
let dir: string;
let workers: TestWorker[] = [];

const ctx = (key: string, attempt = 1) =>
  ({ idempotencyKey: key, attempt, workflowId: 'w', logger: createLogger({ level: 'silent' }) }) as unknown as ExecutionContext;

function calls(id: string): number {
  const log = join(dir, 'calls.jsonl');
  if (!existsSync(log)) return 0;
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"id":"${id}"`)).length;
}

/** A worker's MCP side: its own pool, store, downstream connection and delete_note executor. */
async function startWorkerSide(): Promise<TestWorker> {
  const pool = new Pool({ connectionString: pg.url, max: 4 });
  // The server's shutdown at the end ends idle connections; that is no test failure.
  pool.on('error', () => undefined);
  const downstream = createDownstream({
    servers: {
      notes: { command: process.execPath, args: ['--import', 'tsx', NOTES_SERVER], env: { NOTES_CALL_LOG: join(dir, 'calls.jsonl') } },
    },
  });
  const store = createPostgresCallStore(pool);
  const catalog = await discoverCatalog({ servers: { notes: { command: 'unused', args: [] } } }, downstream);
  const executor = createMcpToolExecutor(catalog.byActionType.get('mcp.notes.delete_note')!, { downstream, store });
  return { pool, store, downstream, executor };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-pg-'));
  pg = await startPostgres();
  workers = await Promise.all([startWorkerSide(), startWorkerSide()]);
}, 120_000);

afterAll(async () => {
  for (const w of workers) {
    await w.downstream.close();
    await w.pool.end();
  }
  await pg?.stop();
});

describe('PostgreSQL MCP call store', () => {
  it('lets exactly one of two workers claim each key when both race for it', async () => {
    const [a, b] = workers as [TestWorker, TestWorker];
    const keys = Array.from({ length: 20 }, (_, i) => `race-${i}`);
    const claims = await Promise.all(
      keys.flatMap((key) => [a.store.claim(key, 'notes', 'delete_note'), b.store.claim(key, 'notes', 'delete_note')]),
    );
    expect(claims.filter((c) => c.claimed)).toHaveLength(keys.length);
    for (const key of keys) expect(claims.filter((c) => c.entry.key === key && c.claimed)).toHaveLength(1);
  });

  it('calls the tool once when two workers commit the same key at once; either reads the other one result afterwards', async () => {
    const [a, b] = workers as [TestWorker, TestWorker];
    const ids = Array.from({ length: 8 }, (_, i) => `pg-${i}`);
    const outcomes = await Promise.allSettled(
      ids.flatMap((id) => [a.executor.commit({ id }, ctx(`k-${id}`)), b.executor.commit({ id }, ctx(`k-${id}`, 2))]),
    );
    for (const id of ids) expect(calls(id)).toBe(1);
    // The loser of a race saw either the finished call or one still in flight, which it refuses to repeat.
    const applied = outcomes.filter((o) => o.status === 'fulfilled' && !o.value.alreadyApplied);
    expect(applied).toHaveLength(ids.length);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(CommitRejectedError);

    for (const id of ids) {
      const fromA = await a.executor.commit({ id }, ctx(`k-${id}`, 3));
      const fromB = await b.executor.commit({ id }, ctx(`k-${id}`, 4));
      expect(fromA).toEqual({ alreadyApplied: true, record: { server: 'notes', tool: 'delete_note', result: expect.anything() } });
      expect(fromB.record).toEqual(fromA.record);
      expect(fromA.record['result']).toMatchObject({ content: [{ type: 'text', text: `deleted ${id}` }] });
      await expect(b.executor.verify({ id }, fromA.record, ctx(`k-${id}`))).resolves.toMatchObject({ ok: true });
      expect(calls(id)).toBe(1);
    }
  });

  it('refuses to call again after a worker claimed the key and recorded no result', async () => {
    const [a, b] = workers as [TestWorker, TestWorker];
    await a.store.claim('k-died', 'notes', 'delete_note');
    await expect(b.executor.commit({ id: 'died' }, ctx('k-died', 2))).rejects.toBeInstanceOf(CommitRejectedError);
    expect(calls('died')).toBe(0);
    await expect(b.executor.verify({ id: 'died' }, {}, ctx('k-died'))).resolves.toMatchObject({ ok: false });
  });

  it('refuses to complete a call nobody claimed, and changes nothing', async () => {
    const [a] = workers as [TestWorker];
    await expect(a.store.complete('k-unclaimed', { content: [] })).rejects.toThrow('no claimed call under k-unclaimed');
    expect(await a.store.get('k-unclaimed')).toBeUndefined();
    const rows = await a.pool.query(`SELECT count(*)::int AS n FROM ${CALLS_TABLE} WHERE idempotency_key = 'k-unclaimed'`);
    expect(rows.rows[0]).toEqual({ n: 0 });
  });
});
