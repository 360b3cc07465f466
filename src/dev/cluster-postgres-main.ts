#!/usr/bin/env node
/**
 * PostgreSQL for `temporal-dev.sh cluster up`: the npm registry's server on loopback, holding the
 * cluster's persistence and visibility. Creates no databases: the Temporal sql tool creates and
 * migrates them, as it would against any PostgreSQL. Stays in the foreground so that the script
 * stops the server by stopping this process (SIGINT/SIGTERM).
 *
 * Usage: cluster-postgres-main --dir <dir> --port <port>
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../observability/logger';
import { startEmbeddedPostgres } from './embedded-postgres';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, port: { type: 'string' } } });
  const port = Number(values.port);
  if (!values.dir || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error('usage: cluster-postgres-main --dir <dir> --port <port>');
  }
  const logger = createLogger({ name: 'gatehouse-cluster-postgres' });
  const server = await startEmbeddedPostgres({ dir: values.dir, port, databases: [] });
  logger.info({ port, dir: values.dir }, 'cluster postgres ready');
  const stop = (): void => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await server.exited;
  logger.error('cluster postgres exited');
  process.exit(1);
}

main().catch((err: unknown) => {
  process.stderr.write(`gatehouse cluster postgres: ${(err as Error).message}\n`);
  process.exit(1);
});
