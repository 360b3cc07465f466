/**
 * The `access.grant` executor against a real PostgreSQL: memberships are read back from
 * `pg_auth_members`, so "granted" means the catalog says so, not that a call returned.
 */
import { Pool } from 'pg';
import { createAccessGrantExecutor, GRANTS_TABLE, type AccessGrantParams } from '../../activities/executors/access-grant';
import { CommitRejectedError, type ExecutionContext } from '../../src/actions/executor';
import { AccessGrantParamsSchema } from '../../src/actions/schemas';
import { createLogger } from '../../src/observability/logger';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { parseEgressAllowList } from '../../src/egress/allow-list';
import { createEgress } from '../../src/egress/guarded-fetch';

/** The targets of these tests listen on loopback, which the egress guard refuses unless named. */
const LOOPBACK_EGRESS = createEgress({ allow: parseEgressAllowList('127.0.0.1') });

let server: TestPostgres;
let pool: Pool;
let clock = new Date();
let executor: ReturnType<typeof createAccessGrantExecutor>;
const logger = createLogger({ level: 'silent' });

let counter = 0;
const unique = (prefix: string): string => `${prefix}_${++counter}`;
const ctx = (idempotencyKey = unique('key'), attempt = 1): ExecutionContext => ({
  idempotencyKey,
  attempt,
  workflowId: 'wf-access',
  logger,
  egress: LOOPBACK_EGRESS,
});
const params = (input: Partial<AccessGrantParams>): AccessGrantParams =>
  AccessGrantParamsSchema.parse({ system: 'warehouse', justification: 'joins the team', ...input });

async function isMember(role: string, member: string): Promise<boolean> {
  const r = await pool.query('SELECT pg_has_role($2, $1, $3) AS m', [role, member, 'MEMBER']);
  return r.rows[0].m === true;
}
/** A fresh role and a fresh login role, neither a member of the other. */
async function roles(): Promise<{ role: string; subject: string }> {
  const role = unique('payments-write');
  const subject = unique('new.hire');
  await pool.query(`CREATE ROLE "${role}" NOLOGIN; CREATE ROLE "${subject}" LOGIN`);
  return { role, subject };
}
async function rejection(pending: Promise<unknown>): Promise<Error> {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toHaveProperty('message');
  return err as Error;
}

beforeAll(async () => {
  server = await startPostgres();
  pool = new Pool({ connectionString: server.url, max: 6 });
  pool.on('error', () => undefined);
  executor = createAccessGrantExecutor({ systems: { warehouse: pool }, now: () => clock });
}, 30_000);
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});
beforeEach(() => {
  clock = new Date();
});

describe('commit and verify', () => {
  it('grants the role, records the key and verifies membership from pg_auth_members', async () => {
    const { role, subject } = await roles();
    const key = unique('key');
    const p = params({ role, subject });
    const outcome = await executor.commit(p, ctx(key));
    expect(outcome).toMatchObject({
      alreadyApplied: false,
      record: { system: 'warehouse', role, member: subject, granted: true, ledger: GRANTS_TABLE },
    });
    expect(await isMember(role, subject)).toBe(true);
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toEqual({
      ok: true,
      observed: { member: true, ledger: 'applied' },
    });
  });

  it('fails verification when the membership was revoked behind its back', async () => {
    const { role, subject } = await roles();
    const key = unique('key');
    const p = params({ role, subject });
    const outcome = await executor.commit(p, ctx(key));
    await pool.query(`REVOKE "${role}" FROM "${subject}"`);
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toEqual({
      ok: false,
      observed: { member: false, ledger: 'applied' },
    });
  });

  it('fails verification for a key that never committed, even when the membership exists', async () => {
    const { role, subject } = await roles();
    await pool.query(`GRANT "${role}" TO "${subject}"`);
    await expect(executor.verify(params({ role, subject }), {}, ctx())).resolves.toMatchObject({
      ok: false,
      observed: { member: true, ledger: 'missing' },
    });
  });

  it('records a membership that already existed as not granted, and rollback leaves it alone', async () => {
    const { role, subject } = await roles();
    await pool.query(`GRANT "${role}" TO "${subject}"`);
    const key = unique('key');
    const p = params({ role, subject });
    const outcome = await executor.commit(p, ctx(key));
    expect(outcome.record).toMatchObject({ granted: false });
    await expect(executor.rollback!(p, outcome.record, ctx(key))).resolves.toMatchObject({ rolledBack: true, revoked: false });
    expect(await isMember(role, subject)).toBe(true);
  });
});

describe('exactly once', () => {
  it('grants once for one key: a second commit after a lost record finds the ledger, not the membership', async () => {
    const { role, subject } = await roles();
    const key = unique('key');
    const p = params({ role, subject });
    await executor.commit(p, ctx(key));
    // Someone revokes; a retried commit (the worker died before recording) must not grant again.
    await pool.query(`REVOKE "${role}" FROM "${subject}"`);
    const again = await executor.commit(p, ctx(key, 2));
    expect(again).toMatchObject({ alreadyApplied: true, record: { granted: true } });
    expect(await isMember(role, subject)).toBe(false);
  });

  it('lets concurrent attempts with one key grant once', async () => {
    const { role, subject } = await roles();
    const key = unique('key');
    const outcomes = await Promise.all([1, 2, 3].map((attempt) => executor.commit(params({ role, subject }), ctx(key, attempt))));
    expect(outcomes.filter((o) => !o.alreadyApplied)).toHaveLength(1);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${GRANTS_TABLE} WHERE idempotency_key = $1`, [key])).rows[0].n).toBe(1);
  });

  it('refuses a key reused for another grant', async () => {
    const a = await roles();
    const b = await roles();
    const key = unique('key');
    await executor.commit(params(a), ctx(key));
    const err = await rejection(executor.commit(params(b), ctx(key)));
    expect(err).toBeInstanceOf(CommitRejectedError);
    expect(await isMember(b.role, b.subject)).toBe(false);
  });
});

describe('refusals', () => {
  it('refuses unknown roles and subjects and records nothing', async () => {
    const { role, subject } = await roles();
    const key = unique('key');
    const err = await rejection(executor.commit(params({ role: 'no-such-role', subject }), ctx(key)));
    expect(err).toBeInstanceOf(CommitRejectedError);
    expect(err.message).toContain('does not exist');
    await expect(rejection(executor.commit(params({ role, subject: 'nobody-here' }), ctx()))).resolves.toBeInstanceOf(CommitRejectedError);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${GRANTS_TABLE} WHERE idempotency_key = $1`, [key])).rows[0].n).toBe(0);
  });

  it('refuses role names that are not plain identifiers, so none reaches SQL', async () => {
    const { role, subject } = await roles();
    await pool.query('CREATE TABLE IF NOT EXISTS canary (id int)');
    for (const bad of ['x" TO PUBLIC; DROP TABLE canary; --', "r'; DROP TABLE canary; --", 'a b', 'pg_read_server_files', '1role', 'é']) {
      const asRole = await rejection(executor.commit(params({ role: bad, subject }), ctx()));
      expect(asRole).toBeInstanceOf(CommitRejectedError);
      const asSubject = await rejection(executor.commit(params({ role, subject: bad }), ctx()));
      expect(asSubject).toBeInstanceOf(CommitRejectedError);
    }
    expect((await pool.query("SELECT to_regclass('canary') IS NOT NULL AS present")).rows[0]).toEqual({ present: true });
    expect(await isMember(role, subject)).toBe(false);
  });

  it('refuses a superuser role, a grant already expired and an unknown system', async () => {
    const { subject } = await roles();
    const root = unique('root');
    await pool.query(`CREATE ROLE "${root}" SUPERUSER`);
    await expect(rejection(executor.commit(params({ role: root, subject }), ctx()))).resolves.toBeInstanceOf(CommitRejectedError);
    const { role } = await roles();
    await expect(
      rejection(executor.commit(params({ role, subject, expiresAt: new Date(Date.now() - 1_000).toISOString() }), ctx())),
    ).resolves.toBeInstanceOf(CommitRejectedError);
    await expect(rejection(executor.commit(params({ system: 'github', role, subject }), ctx()))).resolves.toBeInstanceOf(
      CommitRejectedError,
    );
    expect(await isMember(role, subject)).toBe(false);
    expect(await isMember(root, subject)).toBe(false);
  });
});

describe('rollback and expiry', () => {
  it('revokes on rollback, once, and a later commit with the key does not grant again', async () => {
    const { role, subject } = await roles();
    const key = unique('key');
    const p = params({ role, subject });
    const outcome = await executor.commit(p, ctx(key));
    await expect(executor.rollback!(p, outcome.record, ctx(key))).resolves.toMatchObject({ rolledBack: true, revoked: true });
    expect(await isMember(role, subject)).toBe(false);
    await expect(executor.rollback!(p, outcome.record, ctx(key, 2))).resolves.toMatchObject({ alreadyRolledBack: true });
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toMatchObject({ ok: false, observed: { ledger: 'revoked' } });
    await expect(executor.commit(p, ctx(key, 3))).resolves.toMatchObject({ alreadyApplied: true });
    expect(await isMember(role, subject)).toBe(false);
  });

  it('revokes a temporary grant when it is due, and verify reports it expired', async () => {
    const { role, subject } = await roles();
    const key = unique('key');
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const p = params({ role, subject, expiresAt });
    const outcome = await executor.commit(p, ctx(key));
    expect(outcome.record).toMatchObject({ expiresAt });
    expect(await executor.revokeExpired()).not.toContain(key);
    expect(await isMember(role, subject)).toBe(true);
    clock = new Date(Date.now() + 61_000);
    await expect(executor.verify(p, outcome.record, ctx(key))).resolves.toMatchObject({
      ok: false,
      observed: { member: true, expired: true },
    });
    expect(await executor.revokeExpired()).toContain(key);
    expect(await isMember(role, subject)).toBe(false);
    expect((await pool.query(`SELECT revoke_reason FROM ${GRANTS_TABLE} WHERE idempotency_key = $1`, [key])).rows[0]).toEqual({
      revoke_reason: 'expired',
    });
    expect(await executor.revokeExpired()).not.toContain(key);
  });

  it('keeps a membership that another live grant still gives when one grant expires', async () => {
    const { role, subject } = await roles();
    const temporary = unique('key');
    const permanent = unique('key');
    await executor.commit(params({ role, subject, expiresAt: new Date(Date.now() + 1_000).toISOString() }), ctx(temporary));
    await executor.commit(params({ role, subject }), ctx(permanent));
    clock = new Date(Date.now() + 5_000);
    expect(await executor.revokeExpired()).toContain(temporary);
    expect(await isMember(role, subject)).toBe(true);
  });
});
