#!/usr/bin/env node
/**
 * Dev PostgreSQL process for `temporal-dev.sh up`: the npm registry's PostgreSQL on loopback,
 * with its data kept between runs, and the demo's targets in it (the `customers` table the
 * db.write sample updates, the roles the access.grant sample grants). Stops on SIGINT/SIGTERM.
 */
import { createHash } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { createLogger } from '../observability/logger';
import { reachableByOthers, startEmbeddedPostgres } from './embedded-postgres';

/** The databases the dev stack points its executors at (temporal-dev.sh builds the URLs). */
export const DEV_DATABASES = ['accounts', 'gatehouse'] as const;

/** Idempotent: a second `up` finds everything in place and changes nothing. */
const DEMO_TARGETS = `
CREATE TABLE IF NOT EXISTS customers (id integer PRIMARY KEY, email text NOT NULL, version integer NOT NULL DEFAULT 1);
INSERT INTO customers (id, email, version) VALUES (123, 'old@example.org', 7) ON CONFLICT (id) DO NOTHING;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'new.hire') THEN CREATE ROLE "new.hire" LOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'payments-write') THEN CREATE ROLE "payments-write" NOLOGIN; END IF;
END $$;`;

/**
 * `.gatehouse/postgres` in the checkout, unless PostgreSQL's OS user could not reach it (root's
 * checkout under /root): then a directory under the temp dir, fixed per checkout.
 */
function dataHome(): string {
  const inCheckout = resolve('.gatehouse', 'postgres');
  if (userInfo().uid !== 0 || reachableByOthers(resolve('.'))) return inCheckout;
  return join(tmpdir(), `gatehouse-dev-postgres-${createHash('sha256').update(inCheckout).digest('hex').slice(0, 12)}`);
}

async function main(): Promise<void> {
  const logger = createLogger({ name: 'gatehouse-postgres' });
  const port = Number(process.env['GATEHOUSE_DEV_POSTGRES_PORT'] ?? 55432);
  const dir = dataHome();
  const server = await startEmbeddedPostgres({ dir, port, databases: [...DEV_DATABASES] });
  const client = new Client({ connectionString: server.url('accounts') });
  await client.connect();
  await client.query(DEMO_TARGETS);
  await client.end();
  logger.info({ port, dir, databases: DEV_DATABASES.map((d) => server.url(d)) }, 'dev postgres ready');
  const stop = (): void => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await server.exited;
  logger.error('dev postgres exited');
  process.exit(1);
}

main().catch((err: unknown) => {
  process.stderr.write(`gatehouse postgres: ${(err as Error).message}\n`);
  process.exit(1);
});
