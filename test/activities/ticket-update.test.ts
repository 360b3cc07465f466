/** The `ticket.update` executor against a real local HTTP ticket API speaking the ETag / If-Match contract. */
import { createTicketUpdateExecutor } from '../../activities/executors/ticket-update';
import { CommitRejectedError, type ExecutionContext } from '../../src/actions/executor';
import { TicketUpdateParamsSchema } from '../../src/actions/schemas';
import { createLogger } from '../../src/observability/logger';
import { startTicketApi, type TicketApi } from '../support/ticket-api';
import { parseEgressAllowList } from '../../src/egress/allow-list';
import { createEgress } from '../../src/egress/guarded-fetch';

/** The targets of these tests listen on loopback, which the egress guard refuses unless named. */
const LOOPBACK_EGRESS = createEgress({ allow: parseEgressAllowList('127.0.0.1') });

let api: TicketApi;
let executor: ReturnType<typeof createTicketUpdateExecutor>;
const logger = createLogger({ level: 'silent' });
let counter = 0;
const unique = (prefix: string): string => `${prefix}-${++counter}`;
const ctx = (idempotencyKey = unique('key'), attempt = 1): ExecutionContext => ({
  idempotencyKey,
  attempt,
  workflowId: 'wf-ticket',
  logger,
  egress: LOOPBACK_EGRESS,
});
const params = (ticketId: string, extra: Record<string, unknown> = {}) =>
  TicketUpdateParamsSchema.parse({
    ticketId,
    fields: { priority: 'P2', component: 'billing' },
    comment: 'Classified from customer email',
    ...extra,
  });

function seed(fields: Record<string, unknown> = { priority: 'P4', component: 'unknown', title: 'Invoice failed' }): string {
  const id = unique('OPS');
  api.tickets.set(id, { id, version: 1, fields: { ...fields }, comments: [] });
  return id;
}

beforeAll(async () => {
  api = await startTicketApi();
  executor = createTicketUpdateExecutor({ baseUrl: `${api.url}/` });
});
afterAll(async () => {
  await api?.close();
});

describe('commit and verify', () => {
  it('updates the fields and adds the comment with If-Match, then verifies by reading the ticket', async () => {
    const id = seed();
    const key = unique('key');
    const outcome = await executor.commit(params(id), ctx(key));
    expect(outcome).toEqual({
      alreadyApplied: false,
      record: { ticketId: id, version: 2, previous: { priority: 'P4', component: 'unknown' } },
    });
    expect(api.tickets.get(id)).toMatchObject({
      version: 2,
      fields: { priority: 'P2', component: 'billing', title: 'Invoice failed' },
      comments: [{ body: 'Classified from customer email', idempotencyKey: key }],
    });
    await expect(executor.verify(params(id), outcome.record, ctx(key))).resolves.toEqual({
      ok: true,
      observed: { version: 2, mismatched: {}, commented: true },
    });
  });

  it('fails verification when someone changed a field afterwards', async () => {
    const id = seed();
    const key = unique('key');
    const outcome = await executor.commit(params(id), ctx(key));
    api.edit(id, { priority: 'P1' });
    await expect(executor.verify(params(id), outcome.record, ctx(key))).resolves.toEqual({
      ok: false,
      observed: { version: 3, mismatched: { priority: 'P1' }, commented: true },
    });
  });

  it('fails verification for a key whose comment is not on the ticket', async () => {
    const id = seed({ priority: 'P2', component: 'billing' });
    await expect(executor.verify(params(id), {}, ctx())).resolves.toMatchObject({ ok: false, observed: { commented: false } });
  });

  it('reads preconditions (version and fields) from the ticket', async () => {
    const id = seed();
    await expect(executor.readPreconditions!(params(id), ['version', 'priority', 'missing'], ctx())).resolves.toEqual({
      version: 1,
      priority: 'P4',
    });
  });
});

describe('exactly once', () => {
  it('applies once when the commit runs again after a crash between the write and its record', async () => {
    const id = seed();
    const key = unique('key');
    const first = await executor.commit(params(id), ctx(key));
    const retry = await executor.commit(params(id), ctx(key, 2));
    expect(retry).toEqual({ alreadyApplied: true, record: first.record });
    expect(api.tickets.get(id)).toMatchObject({ version: 2, comments: [{ idempotencyKey: key }] });
    expect(api.patches.filter((k) => k === key)).toHaveLength(2);
  });

  it('refuses, without writing, when the ticket changes between the read and the write', async () => {
    const id = seed();
    const applied = api.applied;
    // A concurrent edit landing inside the commit: the If-Match read before it no longer holds.
    const racing = createTicketUpdateExecutor({ baseUrl: api.url });
    let reads = 0;
    const racingEgress: typeof LOOPBACK_EGRESS = {
      ...LOOPBACK_EGRESS,
      fetch: async (url, init) => {
        const reply = await LOOPBACK_EGRESS.fetch(url, init);
        if ((init?.method ?? 'GET') === 'GET' && ++reads === 1) api.edit(id, { title: 'edited meanwhile' });
        return reply;
      },
    };
    await expect(racing.commit(params(id), { ...ctx(), egress: racingEgress })).rejects.toBeInstanceOf(CommitRejectedError);
    expect(api.applied).toBe(applied);
    expect(api.tickets.get(id)?.fields).toMatchObject({ priority: 'P4' });
  });

  it('refuses an unknown ticket and an empty update; a server error stays retryable', async () => {
    await expect(executor.commit(params('NOPE-1'), ctx())).rejects.toBeInstanceOf(CommitRejectedError);
    const id = seed();
    await expect(executor.commit(TicketUpdateParamsSchema.parse({ ticketId: id, fields: {} }), ctx())).rejects.toBeInstanceOf(
      CommitRejectedError,
    );
    const broken = createTicketUpdateExecutor({ baseUrl: 'http://127.0.0.1:9/down' });
    await expect(broken.commit(params(id), ctx())).rejects.not.toBeInstanceOf(CommitRejectedError);
  });

  it('keeps a ticket id inside its path segment', async () => {
    const id = seed();
    await expect(executor.commit(params(`${id}/../${id}`), ctx())).rejects.toBeInstanceOf(CommitRejectedError);
    expect(api.tickets.get(id)?.version).toBe(1);
  });
});

describe('rollback', () => {
  it('restores the previous fields, once', async () => {
    const id = seed();
    const key = unique('key');
    const outcome = await executor.commit(params(id), ctx(key));
    await expect(executor.rollback!(params(id), outcome.record, ctx(key))).resolves.toMatchObject({
      rolledBack: true,
      restored: { priority: 'P4', component: 'unknown' },
    });
    expect(api.tickets.get(id)?.fields).toEqual({ priority: 'P4', component: 'unknown', title: 'Invoice failed' });
    await expect(executor.rollback!(params(id), outcome.record, ctx(key, 2))).resolves.toMatchObject({ alreadyRolledBack: true });
    expect(api.tickets.get(id)?.version).toBe(3);
  });

  it('refuses to restore over a later change', async () => {
    const id = seed();
    const key = unique('key');
    const outcome = await executor.commit(params(id), ctx(key));
    api.edit(id, { component: 'payments' });
    await expect(executor.rollback!(params(id), outcome.record, ctx(key))).rejects.toBeInstanceOf(CommitRejectedError);
    expect(api.tickets.get(id)?.fields).toMatchObject({ priority: 'P2', component: 'payments' });
  });
});
