/** A real HTTP payments API for the dev stack and the tests (in memory): refunds are idempotent by key and can be looked up by it. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PaymentsApi {
  url: string;
  /** Refund bodies by idempotency key. */
  refunds: Map<string, unknown>;
  /** Every POST's key, replays included. */
  posts: string[];
  close(): Promise<void>;
}

export async function startPaymentsApi(port = 0): Promise<PaymentsApi> {
  const refunds = new Map<string, unknown>();
  const posts: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'POST' && url.pathname === '/refunds') {
        const key = String(req.headers['idempotency-key'] ?? '');
        if (!key) return void res.writeHead(400).end('Idempotency-Key required');
        posts.push(key);
        if (!refunds.has(key)) refunds.set(key, JSON.parse(Buffer.concat(chunks).toString('utf8')));
        return void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ refundId: `re_${refunds.size}` }));
      }
      const byKey = /^\/refunds\/by-key\/(.+)$/.exec(url.pathname);
      if (req.method === 'GET' && byKey) {
        const refund = refunds.get(decodeURIComponent(byKey[1]!));
        return void res.writeHead(refund ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(refund ?? {}));
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refunds,
    posts,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
