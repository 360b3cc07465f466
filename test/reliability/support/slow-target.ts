/**
 * A payment-API stand-in that misbehaves on cue, for fault tests: per resource it can answer
 * with an error status, hang, or hold a request open (before or after applying the effect) until
 * the test releases it or the caller's connection dies.
 *
 * Unlike test/support/http-target.ts it is NAIVE by default: every POST it accepts applies the
 * effect again, whatever its Idempotency-Key. A duplicate effect can therefore only be avoided by
 * Gatehouse itself (check before retry), so a test counting effects can really fail.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the target does with one POST to a resource. Steps are used up in order. */
export type PostStep =
  /** Answer at once with this status; 2xx applies the effect, anything else applies nothing. */
  | { kind: 'status'; status: number }
  /**
   * Keep the request open. `applyFirst`: the effect is applied on arrival (the caller then dies
   * or times out before hearing about it); otherwise it is applied only if the test releases the
   * request while the caller still waits, and a caller that goes away leaves no effect.
   */
  | { kind: 'hold'; applyFirst: boolean };

export interface PostRecord {
  resource: string;
  key: string;
  at: number;
  step: PostStep['kind'] | 'answer';
}

export interface SlowTargetOptions {
  /** Honour Idempotency-Key (replay the first answer, never apply twice). Default false. */
  dedupe?: boolean;
}

export interface SlowTarget {
  url: string;
  /** Effects applied, by resource (a naive target applies once per accepted POST). */
  effects: Map<string, number>;
  /** Every POST, in arrival order. */
  posts: PostRecord[];
  /** Reads of the check (verify) URL, by resource. */
  checks: Map<string, number>;
  /** Requests held open right now, by resource. */
  held(resource?: string): number;
  /** Scripts the next POSTs to `resource`; POSTs past the script are answered 201 at once. */
  script(resource: string, steps: PostStep[]): void;
  /** The next reads of the check URL answer these statuses, whatever the effect's state. */
  scriptChecks(resource: string, statuses: number[]): void;
  /** Answers every held request (applying effects not yet applied). */
  releaseAll(): void;
  /** From now on held steps are answered at once: for the end of a kill phase. */
  stopHolding(): void;
  /** Resolves once `predicate` holds, re-checked on every request; rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): Promise<void>;
}

interface Held {
  resource: string;
  key: string;
  res: ServerResponse;
  applied: boolean;
}

export async function startSlowTarget(options: SlowTargetOptions = {}): Promise<SlowTarget> {
  const effects = new Map<string, number>();
  const firstAnswer = new Map<string, { status: number; body: string }>();
  const posts: PostRecord[] = [];
  const checks = new Map<string, number>();
  const scripts = new Map<string, PostStep[]>();
  const checkScripts = new Map<string, number[]>();
  const holding = new Set<Held>();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let holdingEnabled = true;

  const apply = (resource: string, key: string): void => {
    effects.set(resource, (effects.get(resource) ?? 0) + 1);
    firstAnswer.set(key, { status: 201, body: JSON.stringify({ resource, key }) });
  };
  const answer = (res: ServerResponse, resource: string, key: string): void => {
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ resource, key }));
  };

  const onPost = (req: IncomingMessage, res: ServerResponse, resource: string): void => {
    const key = String(req.headers['idempotency-key'] ?? '');
    const replay = options.dedupe ? firstAnswer.get(key) : undefined;
    const step = scripts.get(resource)?.shift();
    posts.push({ resource, key, at: Date.now(), step: step?.kind ?? 'answer' });
    if (!key) {
      res.writeHead(400).end('Idempotency-Key required');
      return;
    }
    if (replay && step?.kind !== 'hold') {
      res.writeHead(replay.status, { 'content-type': 'application/json', 'idempotent-replayed': 'true' }).end(replay.body);
      return;
    }
    if (step?.kind === 'status') {
      if (step.status >= 200 && step.status < 300) apply(resource, key);
      res.writeHead(step.status, { 'content-type': 'text/plain' }).end(`scripted ${step.status}`);
      return;
    }
    if (step?.kind === 'hold' && holdingEnabled) {
      const entry: Held = { resource, key, res, applied: false };
      if (step.applyFirst && !replay) {
        apply(resource, key);
        entry.applied = true;
      }
      holding.add(entry);
      // The caller died (SIGKILL closes its sockets) or gave up: forget the request.
      res.on('close', () => holding.delete(entry));
      return;
    }
    if (!replay) apply(resource, key);
    answer(res, resource, key);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    req.resume();
    req.on('end', () => {
      const resource = url.pathname.replace(/^\/(effects|check)\//, '');
      if (req.method === 'POST' && url.pathname.startsWith('/effects/')) onPost(req, res, resource);
      else if (req.method === 'GET' && url.pathname.startsWith('/check/')) {
        checks.set(resource, (checks.get(resource) ?? 0) + 1);
        res.writeHead(checkScripts.get(resource)?.shift() ?? ((effects.get(resource) ?? 0) > 0 ? 200 : 404)).end();
      } else res.writeHead(404).end();
      events.emit('request');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  const releaseAll = (): void => {
    for (const entry of [...holding]) {
      holding.delete(entry);
      if (!entry.applied) apply(entry.resource, entry.key);
      answer(entry.res, entry.resource, entry.key);
    }
  };

  return {
    url: `http://127.0.0.1:${port}`,
    effects,
    posts,
    checks,
    held: (resource) => [...holding].filter((h) => resource === undefined || h.resource === resource).length,
    script: (resource, steps) => void scripts.set(resource, [...steps]),
    scriptChecks: (resource, statuses) => void checkScripts.set(resource, [...statuses]),
    releaseAll,
    stopHolding: () => {
      holdingEnabled = false;
      releaseAll();
    },
    until(predicate, timeoutMs, what) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`target: timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        // Requests are not the only thing that changes state (a caller going away is another).
        const poll = setInterval(check, 100);
        const cleanup = () => {
          clearTimeout(timer);
          clearInterval(poll);
          events.off('request', check);
        };
        events.on('request', check);
        check();
      });
    },
    close() {
      for (const entry of holding) entry.res.destroy();
      holding.clear();
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
