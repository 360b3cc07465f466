#!/usr/bin/env node
/** Dev ticket API process for `temporal-dev.sh up`, holding the ticket the demo's ticket.update sample edits. */
import { createLogger } from '../observability/logger';
import { startTicketApi } from './ticket-api';

async function main(): Promise<void> {
  const logger = createLogger({ name: 'gatehouse-tickets' });
  const port = Number(process.env['GATEHOUSE_DEV_TICKETS_PORT'] ?? 8090);
  const api = await startTicketApi([{ id: 'OPS-2291', fields: { priority: 'P4', component: 'unknown', title: 'Invoice payment failed' } }], port);
  logger.info({ url: api.url }, 'dev ticket api ready');
  const stop = (): void => void api.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`gatehouse tickets: ${(err as Error).message}\n`);
  process.exit(1);
});
