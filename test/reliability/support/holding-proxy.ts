/**
 * An HTTP proxy in front of a real target (the dev ticket or payments API) that can keep a
 * worker's commit inside the target: a matching write is forwarded (the target applies it) and
 * its answer is then held back until the caller's connection dies. So a worker killed meanwhile
 * has made the effect without hearing of it, and only check-before-retry avoids a second one.
 * It can also answer one read with a stale copy, as a lagging replica would, so a verification
 * fails on a write that landed.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HoldingProxy {
  url: string;
  /** Writes forwarded and not answered, right now. */
  held(): number;
  /** The next write whose `METHOD path` matches is forwarded, then its answer held. */
  holdNext(match: RegExp): void;
  /** After a write matching `write` is answered, the next GET of `read` gets `stale` instead. */
  staleReadAfter(write: RegExp, read: string, stale: (body: Record<string, unknown>) => Record<string, unknown>): void;
  close(): Promise<void>;
}

export async function startHoldingProxy(targetUrl: string): Promise<HoldingProxy> {
  const target = new URL(targetUrl);
  const holds: RegExp[] = [];
  const held = new Set<ServerResponse>();
  const stale: { write: RegExp; read: string; make: (b: Record<string, unknown>) => Record<string, unknown>; armed: boolean }[] = [];

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers[k] = v;
      const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string' && k !== 'content-length') h[k] = v;
          resolve({ status: res.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) });
        });
      });
      out.on('error', reject);
      out.end(body);
    });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const line = `${req.method} ${req.url}`;
        const lie = stale.find((s) => s.armed && req.method === 'GET' && req.url === s.read);
        const answer = await forward(req, Buffer.concat(chunks));
        if (lie) {
          stale.splice(stale.indexOf(lie), 1);
          const body = Buffer.from(JSON.stringify(lie.make(JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>)));
          return void res.writeHead(answer.status, answer.headers).end(body);
        }
        if (req.method !== 'GET') for (const s of stale) if (s.write.test(line)) s.armed = true;
        const hold = req.method !== 'GET' ? holds.findIndex((m) => m.test(line)) : -1;
        if (hold >= 0) {
          holds.splice(hold, 1);
          held.add(res);
          res.on('close', () => held.delete(res));
          return;
        }
        res.writeHead(answer.status, answer.headers).end(answer.body);
      })().catch((err: unknown) => res.writeHead(502).end(String(err)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held.size,
    holdNext: (match) => void holds.push(match),
    staleReadAfter: (write, read, make) => void stale.push({ write, read, make, armed: false }),
    close: () =>
      new Promise((r) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
