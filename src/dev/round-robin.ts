/**
 * A round-robin HTTP proxy in front of several decision services, for the cluster stack and its
 * test: what a load balancer does, small enough to read. Each request goes to the next upstream
 * that is not marked down. An upstream that refuses the connection is marked down for a while and
 * the request goes to the next one (nothing was sent, so that retry is always safe). An upstream
 * that dies after it took a request answers 502: the proxy cannot know whether the request was
 * acted on, so the client retries, and the next attempt reaches a live replica. A decision POST
 * may be retried: its Update id comes from the link's nonce, so Temporal answers it once.
 *
 * X-Forwarded-For carries the client's address, so the services' per-IP rate limit (with
 * `GATEHOUSE_TRUST_PROXY=loopback`) sees the reviewer, not the proxy.
 *
 * `GET /_round-robin/stats` is the proxy's own page (its counters as JSON, never forwarded): the
 * cluster test runs the proxy as a separate process and reads where requests went from there.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';

export const RoundRobinOptionsSchema = z.object({
  /** Base URLs of the decision services, e.g. `http://127.0.0.1:8081`. */
  upstreams: z.array(z.url({ protocol: /^http$/ })).min(1),
  /** How long an upstream that refused a connection is skipped. */
  downForMs: z.number().int().positive().default(5_000),
});
export type RoundRobinOptions = z.input<typeof RoundRobinOptionsSchema>;

/** Counts per upstream, for a test to see where requests went and which failed. */
export interface UpstreamStats {
  url: string;
  /** Requests sent to it and not yet answered (or failed). */
  inFlight: number;
  forwarded: number;
  refused: number;
  failedMidRequest: number;
}

export interface RoundRobin {
  server: Server;
  stats(): UpstreamStats[];
}

/** The proxy's own counters; no decision service route starts with `/_round-robin/`. */
export const STATS_PATH = '/_round-robin/stats';

/** Error codes of a connection that never reached the upstream's application. */
const NOT_CONNECTED: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

// Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own, not forwarded.
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

/** Builds the proxy; the caller decides where it listens. */
export function createRoundRobin(input: RoundRobinOptions): RoundRobin {
  const options = RoundRobinOptionsSchema.parse(input);
  const upstreams = options.upstreams.map((url) => ({
    url: new URL(url),
    downUntil: 0,
    stats: { url, inFlight: 0, forwarded: 0, refused: 0, failedMidRequest: 0 },
  }));
  let next = 0;

  /** The next upstream in turn that is not marked down; all down: the next in turn anyway. */
  const pick = (skip: ReadonlySet<number>): number | undefined => {
    const now = Date.now();
    const order = upstreams.map((_, i) => (next + i) % upstreams.length).filter((i) => !skip.has(i));
    const chosen = order.find((i) => upstreams[i]!.downUntil <= now) ?? order[0];
    if (chosen !== undefined) next = (chosen + 1) % upstreams.length;
    return chosen;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, tried: Set<number>): void => {
    const index = pick(tried);
    if (index === undefined) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('no decision service reachable\n');
      return;
    }
    tried.add(index);
    const upstream = upstreams[index]!;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    const client = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${client}` : client;
    headers['content-length'] = String(body.length);
    delete headers['transfer-encoding'];
    upstream.stats.inFlight++;
    let settled = false;
    const settle = (): void => {
      if (!settled) upstream.stats.inFlight--;
      settled = true;
    };
    const out = httpRequest(
      { host: upstream.url.hostname, port: upstream.url.port, method: req.method, path: req.url, headers },
      (answer) => {
        settle();
        upstream.stats.forwarded++;
        const kept: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, kept);
        answer.pipe(res);
        answer.once('error', () => res.destroy());
      },
    );
    out.once('error', (err: NodeJS.ErrnoException) => {
      settle();
      if (NOT_CONNECTED.has(err.code ?? '')) {
        upstream.stats.refused++;
        upstream.downUntil = Date.now() + options.downForMs;
        forward(req, res, body, tried);
        return;
      }
      // It took the request and died: whether it acted is unknown, so the client decides to retry.
      upstream.stats.failedMidRequest++;
      upstream.downUntil = Date.now() + options.downForMs;
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { 'content-type': 'text/plain' }).end('decision service failed mid-request; retry\n');
    });
    out.end(body);
  };

  const stats = (): UpstreamStats[] => upstreams.map((u) => ({ ...u.stats }));
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === STATS_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats()));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => forward(req, res, Buffer.concat(chunks), new Set()));
    req.once('error', () => res.destroy());
  });
  return { server, stats };
}
