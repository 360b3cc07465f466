/**
 * What the decision service process (http-process.ts) serves: the product's Express app
 * (createApp) on a free port and, as its floor, an Express app on another: a hello-world route
 * (for request rates) and a route that signals a floor run (for decision latency through the
 * same kind of HTTP hop).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import express from 'express';
import { createApp } from '../src/http/app';
import type { DecisionSigner } from '../src/links/decision-signer';
import type { LinkKeyring } from '../src/links/keyring';
import { createLogger } from '../src/observability/logger';
import { floorDecideSignal } from './floor-workflow';
import { freePort } from './temporal-server';

export interface BenchHttp {
  /** The decision service. */
  baseUrl: string;
  /** The hello-world route. */
  helloUrl: string;
  /** POST `${floorSignalBase}/:workflowId` signals that floor run, as the service would. */
  floorSignalBase: string;
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
  hello.post('/floor/:workflowId', async (req, res) => {
    await deps.client.workflow.getHandle(req.params.workflowId).signal(floorDecideSignal, { approve: true });
    res.json({ signalled: true });
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
    floorSignalBase: `${h.url}/floor`,
    close: async () => {
      await new Promise((r) => server.close(r));
      await new Promise((r) => h.server.close(r));
    },
  };
}
