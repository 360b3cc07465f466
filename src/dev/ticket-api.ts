/**
 * A real HTTP ticket API for the dev stack and the tests, implementing the contract the `ticket.update` executor
 * speaks (see activities/executors/ticket-update.ts), in memory: ETag / If-Match on every write, and
 * writes idempotent by Idempotency-Key (a replay returns the first response).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TicketComment {
  id: number;
  body: string;
  idempotencyKey?: string;
}
export interface Ticket {
  id: string;
  version: number;
  fields: Record<string, unknown>;
  comments: TicketComment[];
}

export interface TicketApi {
  url: string;
  tickets: Map<string, Ticket>;
  /** Writes applied (replays and refused writes excluded). */
  applied: number;
  /** Every PATCH's key, replays included. */
  patches: string[];
  /** Someone else's edit: bumps the version as the real system would. */
  edit(id: string, fields: Record<string, unknown>): void;
  close(): Promise<void>;
}

export async function startTicketApi(seed: Array<{ id: string; fields: Record<string, unknown> }> = [], port = 0): Promise<TicketApi> {
  const tickets = new Map<string, Ticket>(seed.map((t) => [t.id, { id: t.id, version: 1, fields: { ...t.fields }, comments: [] }]));
  const replies = new Map<string, { status: number; body: string; etag: string }>();
  const api: TicketApi = {
    url: '',
    tickets,
    applied: 0,
    patches: [],
    edit(id, fields) {
      const t = tickets.get(id)!;
      t.fields = { ...t.fields, ...fields };
      t.version += 1;
    },
    close: async () => undefined,
  };
  const etag = (t: Ticket): string => `"${t.version}"`;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/tickets\/([^/]+)$/.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
      const ticket = match ? tickets.get(decodeURIComponent(match[1]!)) : undefined;
      const json = (status: number, body: unknown, tag?: string): void =>
        void res.writeHead(status, { 'content-type': 'application/json', ...(tag ? { etag: tag } : {}) }).end(JSON.stringify(body));
      if (!ticket) return json(404, { error: 'no such ticket' });
      if (req.method === 'GET') return json(200, ticket, etag(ticket));
      if (req.method !== 'PATCH') return json(405, { error: 'GET or PATCH' });
      const key = String(req.headers['idempotency-key'] ?? '');
      if (key) api.patches.push(key);
      const replay = replies.get(`${ticket.id}\n${key}`);
      if (key && replay) {
        return void res
          .writeHead(replay.status, { 'content-type': 'application/json', etag: replay.etag, 'idempotent-replayed': 'true' })
          .end(replay.body);
      }
      const ifMatch = req.headers['if-match'];
      if (!ifMatch) return json(428, { error: 'If-Match required' });
      if (ifMatch !== etag(ticket)) return json(412, { error: 'version mismatch', current: ticket }, etag(ticket));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { fields?: Record<string, unknown>; comment?: string };
      const fields = body.fields ?? {};
      const previous = Object.fromEntries(Object.keys(fields).map((f) => [f, ticket.fields[f] ?? null]));
      ticket.fields = { ...ticket.fields, ...fields };
      if (body.comment)
        ticket.comments.push({ id: ticket.comments.length + 1, body: body.comment, ...(key ? { idempotencyKey: key } : {}) });
      ticket.version += 1;
      api.applied += 1;
      const reply = { status: 200, body: JSON.stringify({ ticket, previous }), etag: etag(ticket) };
      if (key) replies.set(`${ticket.id}\n${key}`, reply);
      return void res.writeHead(200, { 'content-type': 'application/json', etag: reply.etag }).end(reply.body);
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = () => new Promise((r) => server.close(() => r()));
  return api;
}
