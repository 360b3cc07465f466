/**
 * `ticket.update` through an HTTP ticket API with optimistic concurrency. The contract
 * (test/support/ticket-api.ts implements it):
 *
 *   GET   {base}/tickets/{id}  → 200 { id, version, fields, comments: [{ id, body, idempotencyKey? }] }, ETag
 *   PATCH {base}/tickets/{id}  If-Match: <ETag>, Idempotency-Key: <key>, { fields, comment? }
 *                              → 200 { ticket, previous } (previous: the changed fields as they were)
 *                              → 412 when the ticket changed since the ETag was read
 *                              → a replay of a key returns the first response, `Idempotent-Replayed: true`
 *
 * So a commit reads the ticket, writes with If-Match and the action's idempotency key, and a retry
 * after a crash between the write and its record gets the first write's response back (with the
 * previous fields, which rollback restores) instead of writing again. A 412 is refused, not
 * retried: the ticket changed while committing, and the approval was about the ticket as it was.
 *
 * Mapping to real trackers (a small adapter service, or the same calls in a custom executor):
 * - GitHub Issues: `GET /repos/{owner}/{repo}/issues/{n}` returns an ETag, but `PATCH` on an issue
 *   takes no If-Match; the adapter re-reads `updated_at` just before
 *   `PATCH /repos/{owner}/{repo}/issues/{n}` `{ title?, body?, state?, labels?, assignees?, milestone? }`
 *   and refuses when it moved, then posts the comment with
 *   `POST /repos/{owner}/{repo}/issues/{n}/comments` `{ body }`, carrying the key as a hidden marker
 *   (`<!-- gatehouse:<key> -->`) that a retry searches for before posting again.
 * - Jira Cloud: `GET /rest/api/3/issue/{key}?fields=…,updated`; `PUT /rest/api/3/issue/{key}`
 *   `{ fields: { priority: { name }, components: [{ name }], … } }` (204), again guarded by
 *   re-reading `fields.updated`; comments with `POST /rest/api/3/issue/{key}/comment`
 *   `{ body: <ADF doc> }` and `properties: [{ key: 'gatehouse', value: { idempotencyKey } }]`.
 * Neither offers a true compare-and-swap on edits, so the adapter narrows the window; the
 * contract above closes it.
 */
import { z } from 'zod';
import { CommitRejectedError, type CommitRecord, type Executor } from '../../src/actions/executor';
import type { TicketUpdateParamsSchema } from '../../src/actions/schemas';
import { canonicalJson } from '../../src/domain/canonical-hash';
import type { Egress } from '../../src/egress/guarded-fetch';

export type TicketUpdateParams = z.infer<typeof TicketUpdateParamsSchema>;

const TicketSchema = z.object({
  id: z.string(),
  version: z.number().int(),
  fields: z.record(z.string(), z.unknown()),
  comments: z
    .array(z.object({ id: z.union([z.string(), z.number()]), body: z.string(), idempotencyKey: z.string().optional() }))
    .default([]),
});
type Ticket = z.infer<typeof TicketSchema>;

const PatchResponseSchema = z.object({ ticket: TicketSchema, previous: z.record(z.string(), z.unknown()) });

export interface TicketUpdateExecutorOptions {
  /** e.g. `https://tickets.internal.example/api`; from configuration, never from agents. */
  baseUrl: string;
  /** Sent as `Authorization` on every request. */
  authorization?: string;
  timeoutMs?: number;
}

/** Thrown when the ticket API answers in a way that a retry may fix (5xx, 429, network). */
export class TicketApiError extends Error {
  override readonly name = 'TicketApiError';
}

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * The one network call of this executor, through the run's egress guard (allow-listed, no
 * redirects). Only configured base URLs are ever passed; the ticket id is path-encoded by the caller.
 */
export async function ticketRequest(
  egress: Egress,
  url: string,
  init: { method: 'GET' | 'PATCH'; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<Reply> {
  const response = await egress.fetch(url, {
    method: init.method,
    headers: init.headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
    timeoutMs: init.timeoutMs,
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

function rejected(message: string): CommitRejectedError {
  return new CommitRejectedError(`ticket.update refused: ${message}`);
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/** Fields whose stored value differs from `wanted`, with the stored value. */
function mismatched(ticket: Ticket, wanted: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(wanted)
      .filter(([f, v]) => !same(ticket.fields[f], v))
      .map(([f]) => [f, ticket.fields[f] ?? null]),
  );
}

export function createTicketUpdateExecutor(options: TicketUpdateExecutorOptions): Executor<TicketUpdateParams> {
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const auth: Record<string, string> = options.authorization ? { authorization: options.authorization } : {};
  const urlOf = (ticketId: string): string => `${base}/tickets/${encodeURIComponent(ticketId)}`;

  function failure(reply: Reply, doing: string): Error {
    const detail = `${doing}: HTTP ${reply.status}`;
    if (reply.status >= 500 || reply.status === 429 || reply.status === 408) return new TicketApiError(detail);
    return rejected(detail);
  }

  async function read(egress: Egress, ticketId: string): Promise<{ ticket: Ticket; etag: string }> {
    const reply = await ticketRequest(egress, urlOf(ticketId), {
      method: 'GET',
      headers: { accept: 'application/json', ...auth },
      timeoutMs,
    });
    if (reply.status !== 200) throw failure(reply, `reading ticket ${ticketId}`);
    const parsed = TicketSchema.safeParse(reply.body);
    const etag = reply.headers.get('etag');
    if (!parsed.success || !etag)
      throw new TicketApiError(`reading ticket ${ticketId}: the API's answer does not follow the contract (ticket JSON and an ETag)`);
    return { ticket: parsed.data, etag };
  }

  async function write(
    egress: Egress,
    ticketId: string,
    etag: string,
    key: string,
    body: { fields: Record<string, unknown>; comment?: string },
  ) {
    const reply = await ticketRequest(egress, urlOf(ticketId), {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'if-match': etag, 'idempotency-key': key, ...auth },
      body: JSON.stringify(body),
      timeoutMs,
    });
    if (reply.status === 412) throw rejected(`ticket ${ticketId} changed while committing (If-Match ${etag} no longer holds)`);
    if (reply.status !== 200) throw failure(reply, `updating ticket ${ticketId}`);
    const parsed = PatchResponseSchema.safeParse(reply.body);
    if (!parsed.success)
      throw new TicketApiError(`updating ticket ${ticketId}: the API's answer does not follow the contract ({ ticket, previous })`);
    return { ...parsed.data, replayed: reply.headers.get('idempotent-replayed') === 'true' };
  }

  return {
    async readPreconditions(params, fields, ctx) {
      const { ticket } = await read(ctx.egress, params.ticketId);
      const values: Record<string, unknown> = { version: ticket.version, ...ticket.fields };
      return Object.fromEntries(fields.filter((f) => Object.hasOwn(values, f)).map((f) => [f, values[f]]));
    },

    async commit(params, ctx) {
      if (Object.keys(params.fields).length === 0 && !params.comment) throw rejected('nothing to change: no fields and no comment');
      const { etag } = await read(ctx.egress, params.ticketId);
      const result = await write(ctx.egress, params.ticketId, etag, ctx.idempotencyKey, {
        fields: params.fields,
        ...(params.comment ? { comment: params.comment } : {}),
      });
      const record: CommitRecord = { ticketId: params.ticketId, version: result.ticket.version, previous: result.previous };
      ctx.logger.info({ ticketId: params.ticketId, replayed: result.replayed }, 'ticket.update commit');
      return { alreadyApplied: result.replayed, record };
    },

    async verify(params, _record, ctx) {
      const { ticket } = await read(ctx.egress, params.ticketId);
      const differs = mismatched(ticket, params.fields);
      const commented = params.comment ? ticket.comments.some((c) => c.idempotencyKey === ctx.idempotencyKey) : true;
      return { ok: Object.keys(differs).length === 0 && commented, observed: { version: ticket.version, mismatched: differs, commented } };
    },

    async rollback(params, record, ctx) {
      const previous = z.record(z.string(), z.unknown()).safeParse(record['previous']);
      if (!previous.success) throw rejected('the commit record holds no previous fields');
      const { ticket, etag } = await read(ctx.egress, params.ticketId);
      if (Object.keys(mismatched(ticket, previous.data)).length === 0)
        return { rolledBack: true, alreadyRolledBack: true, version: ticket.version };
      const changed = mismatched(ticket, params.fields);
      if (Object.keys(changed).length > 0)
        throw rejected(
          `ticket ${params.ticketId} was changed since the update (${Object.keys(changed).join(', ')}); not restoring over it`,
        );
      // The comment stays: it says what was done, and trackers keep history anyway.
      const result = await write(ctx.egress, params.ticketId, etag, `${ctx.idempotencyKey}:rollback`, { fields: previous.data });
      return { rolledBack: true, version: result.ticket.version, restored: previous.data };
    },
  };
}
