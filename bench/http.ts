/**
 * The decision service (createApp, the product's Express app) on a free port, an Express
 * hello-world route in the same process as its floor, and an autocannon runner that fires from a
 * worker thread so the load generator does not share the servers' event loop.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import autocannon from 'autocannon';
import express from 'express';
import { createApp } from '../src/http/app';
import type { DecisionSigner } from '../src/links/decision-signer';
import type { LinkKeyring } from '../src/links/keyring';
import { createLogger } from '../src/observability/logger';
import { freePort } from './temporal-server';

export interface BenchHttp {
  baseUrl: string;
  helloUrl: string;
  close(): Promise<void>;
}

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((ok) => {
    const server = app.listen(0, '127.0.0.1', () => {
      ok({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    });
  });
}

export async function startHttp(deps: { client: Client; linkKeyring: LinkKeyring; signer: DecisionSigner }): Promise<BenchHttp> {
  const hello = express();
  hello.disable('x-powered-by');
  hello.get('/hello', (_req, res) => {
    res.send('hello');
  });
  const h = await listen(hello);
  // The public URL shapes absolute links and the CSRF origin check, so the port is chosen first.
  const port = await freePort();
  const app = createApp({
    client: deps.client,
    linkKeyring: deps.linkKeyring,
    signer: deps.signer,
    logger: createLogger({ level: 'silent' }),
    publicUrl: `http://127.0.0.1:${port}`,
    // The per-IP limit (60/min) would refuse the load generator, which is one IP.
    rateLimit: false,
  });
  const server = await new Promise<Server>((ok, fail) => {
    const s = app.listen(port, '127.0.0.1', () => ok(s));
    s.once('error', fail);
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    helloUrl: `${h.url}/hello`,
    close: async () => {
      await new Promise((r) => server.close(r));
      await new Promise((r) => h.server.close(r));
    },
  };
}

export interface CannonResult {
  reqPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  total: number;
  statusCounts: Record<string, number>;
  errors: number;
}

/** Fixed-duration closed-loop load from one worker thread with `connections` sockets. */
export async function cannon(options: { url: string; paths?: string[]; seconds: number; connections: number }): Promise<CannonResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    workers: 1,
    ...(options.paths ? { requests: options.paths.map((path) => ({ method: 'GET' as const, path })) } : {}),
  });
  const statusCounts: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = (stat as { count: number }).count;
  return {
    reqPerSec: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    total: result.requests.total,
    statusCounts,
    errors: result.errors + result.timeouts,
  };
}
