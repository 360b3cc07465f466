/**
 * A real HTTP service standing in for a payment or ticket API: it honours Idempotency-Key, keeps
 * every effect by key, and can be told to misbehave (lose the response after applying the effect).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpTarget {
  url: string;
  /** Effects by idempotency key: how many times each was applied (must never exceed 1). */
  effects: Map<string, number>;
  /** Every POST received, with its key, including replays the target deduplicated. */
  posts: string[];
  /** The body each effect was created with, by idempotency key. */
  bodies: Map<string, unknown>;
  /** Resources removed by a rollback (DELETE). */
  rollbacks: string[];
  /** State the agent's preconditions refer to, served as JSON at /state/<id>. */
  state: Map<string, Record<string, unknown>>;
  /** The next N commits apply their effect, then drop the connection without answering. */
  dropResponsesAfterEffect(n: number): void;
  /** The next N commits apply their effect and answer only after `ms`. */
  delayResponses(n: number, ms: number): void;
  /** The next N reads of a check URL whose effect exists answer 503: the target cannot tell for now. */
  failChecksOfApplied(n: number): void;
  close(): Promise<void>;
}

export async function startHttpTarget(): Promise<HttpTarget> {
  const effects = new Map<string, number>();
  const posts: string[] = [];
  const bodies = new Map<string, unknown>();
  const rollbacks: string[] = [];
  const state = new Map<string, Record<string, unknown>>();
  const byResource = new Map<string, string>();
  let drops = 0;
  let delays = 0;
  let delayMs = 0;
  let failedChecks = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const resource = url.pathname.replace(/^\/(effects|check)\//, '');
      if (req.method === 'GET' && url.pathname.startsWith('/check/')) {
        if (byResource.has(resource) && failedChecks > 0) {
          failedChecks--;
          res.writeHead(503).end();
          return;
        }
        res.writeHead(byResource.has(resource) ? 200 : 404).end();
        return;
      }
      if (req.method === 'POST' && url.pathname.startsWith('/effects/')) {
        const key = String(req.headers['idempotency-key'] ?? '');
        posts.push(key);
        if (!key) {
          res.writeHead(400).end('Idempotency-Key required');
          return;
        }
        if (!effects.has(key)) {
          effects.set(key, 1);
          byResource.set(resource, key);
          const text = Buffer.concat(chunks).toString('utf8');
          bodies.set(key, text ? (JSON.parse(text) as unknown) : undefined);
        }
        if (drops > 0) {
          drops--;
          req.socket.destroy();
          return;
        }
        const answer = () => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ resource, key }));
        if (delays > 0) {
          delays--;
          setTimeout(answer, delayMs);
        } else answer();
        return;
      }
      if (req.method === 'GET' && url.pathname.startsWith('/state/')) {
        const current = state.get(url.pathname.slice('/state/'.length));
        res.writeHead(current ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(current ?? {}));
        return;
      }
      if (req.method === 'DELETE' && url.pathname.startsWith('/effects/')) {
        rollbacks.push(resource);
        res.writeHead(byResource.delete(resource) ? 204 : 404).end();
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    effects,
    posts,
    bodies,
    rollbacks,
    state,
    dropResponsesAfterEffect: (n) => {
      drops = n;
    },
    delayResponses: (n, ms) => {
      delays = n;
      delayMs = ms;
    },
    failChecksOfApplied: (n) => {
      failedChecks = n;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
