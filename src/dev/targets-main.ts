#!/usr/bin/env node
/**
 * Dev HTTP targets for `temporal-dev.sh up`: the ticket API (holding the ticket the demo's
 * ticket.update sample edits) and the payments API the payment.refund sample refunds through.
 * Both keep their state in memory.
 */
import { createLogger } from '../observability/logger';
import { startPaymentsApi } from './payments-api';
import { startTicketApi } from './ticket-api';

async function main(): Promise<void> {
  const logger = createLogger({ name: 'gatehouse-targets' });
  const tickets = await startTicketApi(
    [{ id: 'OPS-2291', fields: { priority: 'P4', component: 'unknown', title: 'Invoice payment failed' } }],
    Number(process.env['GATEHOUSE_DEV_TICKETS_PORT'] ?? 8090),
  );
  const payments = await startPaymentsApi(Number(process.env['GATEHOUSE_DEV_PAYMENTS_PORT'] ?? 8091));
  logger.info({ tickets: tickets.url, payments: payments.url }, 'dev targets ready');
  const stop = (): void => void Promise.all([tickets.close(), payments.close()]).then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`gatehouse targets: ${(err as Error).message}\n`);
  process.exit(1);
});
