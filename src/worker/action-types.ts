/** The action types this worker can execute: built-in schemas plus the executors shipped so far. */
import type { Pool } from 'pg';
import { createDbWriteExecutor } from '../../activities/executors/db-write';
import { createEmailSendExecutor } from '../../activities/executors/email-send';
import { createHttpRequestExecutor } from '../../activities/executors/http-request';
import { createPaymentRefundExecutor } from '../../activities/executors/payment-refund';
import { builtInActionTypes, type ActionTypeRegistry } from '../actions/registry';
import { createSandboxExecutor } from '../dev/sandbox-executor';
import type { Mailer, SentMailIndex } from '../mail/mailer';

export interface WorkerActionOptions {
  sentIndex?: SentMailIndex;
  /** Dev mode only: seed types without a real executor write to this ledger file instead. */
  sandboxLedger?: string;
  /** PostgreSQL pools by database name: enables the real db.write executor. */
  databases?: Record<string, Pool>;
  /** Base URL of the payments API: enables the real payment.refund executor. */
  paymentsUrl?: string;
}

export function workerActionTypes(mailer: Mailer, options: WorkerActionOptions = {}): ActionTypeRegistry {
  const registry = builtInActionTypes()
    .withExecutor('http.request', createHttpRequestExecutor())
    .withExecutor('email.send', createEmailSendExecutor(mailer, options.sentIndex));
  const realDb = options.databases && Object.keys(options.databases).length > 0;
  if (options.sandboxLedger) {
    for (const name of ['ticket.update', 'db.write', 'access.grant', 'payment.refund', 'code.deploy']) {
      if ((name === 'db.write' && realDb) || (name === 'payment.refund' && options.paymentsUrl)) continue;
      registry.withExecutor(name, createSandboxExecutor(options.sandboxLedger, name));
    }
  }
  if (realDb) registry.withExecutor('db.write', createDbWriteExecutor({ pools: options.databases! }));
  if (options.paymentsUrl) registry.withExecutor('payment.refund', createPaymentRefundExecutor({ baseUrl: options.paymentsUrl }));
  return registry;
}
