/** The action types this worker can execute: built-in schemas plus the executors shipped so far. */
import { createEmailSendExecutor } from '../../activities/executors/email-send';
import { createHttpRequestExecutor } from '../../activities/executors/http-request';
import { builtInActionTypes, type ActionTypeRegistry } from '../actions/registry';
import { createSandboxExecutor } from '../dev/sandbox-executor';
import type { Mailer, SentMailIndex } from '../mail/mailer';

export interface WorkerActionOptions {
  sentIndex?: SentMailIndex;
  /** Dev mode only: seed types without a real executor write to this ledger file instead. */
  sandboxLedger?: string;
}

export function workerActionTypes(mailer: Mailer, options: WorkerActionOptions = {}): ActionTypeRegistry {
  const registry = builtInActionTypes()
    .withExecutor('http.request', createHttpRequestExecutor())
    .withExecutor('email.send', createEmailSendExecutor(mailer, options.sentIndex));
  if (options.sandboxLedger) {
    for (const name of ['ticket.update', 'db.write', 'access.grant', 'payment.refund', 'code.deploy']) {
      registry.withExecutor(name, createSandboxExecutor(options.sandboxLedger, name));
    }
  }
  return registry;
}
