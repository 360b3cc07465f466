#!/usr/bin/env node
/**
 * The round-robin proxy in front of several decision services (see round-robin.ts).
 *
 * Usage: round-robin-main --port <port> [--host 127.0.0.1] --upstream <url> --upstream <url> ...
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { createLogger } from '../observability/logger';
import { createRoundRobin } from './round-robin';

function main(): void {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string' }, upstream: { type: 'string', multiple: true } },
  });
  const port = Number(values.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${values.port}`);
  const logger = createLogger({ name: 'gatehouse-round-robin' });
  const proxy = createRoundRobin({ upstreams: values.upstream ?? [] });
  proxy.server.listen(port, values.host ?? '127.0.0.1', () => {
    const { address, port: bound } = proxy.server.address() as AddressInfo;
    logger.info({ url: `http://${address}:${bound}/`, upstreams: values.upstream }, 'round robin ready');
  });
  const stop = (): void => void proxy.server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

try {
  main();
} catch (err) {
  const message =
    err instanceof ZodError ? err.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ') : (err as Error).message;
  process.stderr.write(`gatehouse round-robin: ${message}\nusage: round-robin-main --port <port> --upstream <url> --upstream <url> ...\n`);
  process.exit(1);
}
