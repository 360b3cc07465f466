/**
 * The worker's probes, on an address of their own (the Prometheus endpoint belongs to the Temporal
 * runtime and takes no routes). `/healthz`: the process is alive. `/readyz`: the worker polls its
 * task queue; it turns 503 the moment a shutdown begins, before the worker stops taking tasks, so an
 * orchestrator counts the replacement, not the draining one.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { State } from '@temporalio/worker';

export interface HealthServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** `host:port` → listen arguments; an IPv6 host is written in brackets. */
function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

export async function startHealthServer(address: string, workerState: () => State): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(405, { status: 'method not allowed' });
    if (req.url === '/healthz') return json(200, { status: 'ok' });
    if (req.url === '/readyz') {
      const state = workerState();
      return json(state === 'RUNNING' ? 200 : 503, { status: state === 'RUNNING' ? 'ready' : 'not ready', worker: state });
    }
    return json(404, { status: 'not found' });
  });
  const { host, port } = splitAddress(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
