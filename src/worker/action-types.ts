/** The action types this worker can execute: built-in schemas plus the executors configured. */
import type { Pool } from 'pg';
import { createAccessGrantExecutor } from '../../activities/executors/access-grant';
import { createCodeDeployExecutor, type CodeDeployExecutorOptions } from '../../activities/executors/code-deploy';
import { createDeployWebhookExecutor, routeDeploys } from '../../activities/executors/code-deploy-webhook';
import { createDbWriteExecutor } from '../../activities/executors/db-write';
import type { EmailOutbox } from '../../activities/executors/email-outbox';
import { createEmailSendExecutor, type UncertainSendPolicy } from '../../activities/executors/email-send';
import { createHttpRequestExecutor } from '../../activities/executors/http-request';
import { createPaymentRefundExecutor } from '../../activities/executors/payment-refund';
import { createTicketUpdateExecutor, type TicketUpdateExecutorOptions } from '../../activities/executors/ticket-update';
import { builtInActionTypes, type ActionTypeRegistry } from '../actions/registry';
import { createSandboxExecutor } from '../dev/sandbox-executor';
import type { Mailer, SentMailIndex } from '../mail/mailer';
import type { WebhookKeyring } from '../webhooks/signature';

export interface WorkerActionOptions {
  sentIndex?: SentMailIndex;
  /** The durable record of email.send; without it email.send has no executor on this worker. */
  emailOutbox?: EmailOutbox;
  /** What email.send does after a worker died mid-send and no mailbox can tell (default needs_attention). */
  emailOnUncertain?: UncertainSendPolicy;
  /** Dev mode only: seed types without a configured executor write to this ledger file instead. */
  sandboxLedger?: string;
  /** PostgreSQL pools by database name: enables the real db.write executor. */
  databases?: Record<string, Pool>;
  /** PostgreSQL admin pools by access-system name: enables the real access.grant executor. */
  accessSystems?: Record<string, Pool>;
  /** Base URL of the payments API: enables the real payment.refund executor. */
  paymentsUrl?: string;
  /** Git repositories by service: enables the real code.deploy executor. */
  deploy?: CodeDeployExecutorOptions;
  /** Deploy webhooks by service, and the keys that sign their requests: code.deploy's webhook variant. */
  deployWebhooks?: { hooks: Record<string, string>; keys: WebhookKeyring };
  /** The ticket API: enables the real ticket.update executor. */
  tickets?: TicketUpdateExecutorOptions;
}

/** Seed types that may fall back to the dev sandbox ledger when no real target is configured. */
const SANDBOXABLE = ['ticket.update', 'db.write', 'access.grant', 'payment.refund', 'code.deploy'] as const;

const nonEmpty = (pools: Record<string, Pool> | undefined): pools is Record<string, Pool> =>
  pools !== undefined && Object.keys(pools).length > 0;

export function workerActionTypes(mailer: Mailer, options: WorkerActionOptions = {}): ActionTypeRegistry {
  const registry = builtInActionTypes().withExecutor('http.request', createHttpRequestExecutor());
  if (options.emailOutbox) {
    registry.withExecutor(
      'email.send',
      createEmailSendExecutor({
        mailer,
        outbox: options.emailOutbox,
        ...(options.sentIndex ? { sentIndex: options.sentIndex } : {}),
        ...(options.emailOnUncertain ? { onUncertain: options.emailOnUncertain } : {}),
      }),
    );
  }
  if (nonEmpty(options.databases)) registry.withExecutor('db.write', createDbWriteExecutor({ pools: options.databases }));
  if (nonEmpty(options.accessSystems)) registry.withExecutor('access.grant', createAccessGrantExecutor({ systems: options.accessSystems }));
  const byRef = options.deploy && Object.keys(options.deploy.repos).length > 0 ? createCodeDeployExecutor(options.deploy) : undefined;
  const hooks = options.deployWebhooks && Object.keys(options.deployWebhooks.hooks).length > 0 ? options.deployWebhooks : undefined;
  if (hooks) {
    const byHook = createDeployWebhookExecutor({
      hooks: hooks.hooks,
      keys: hooks.keys,
      ...(options.deploy?.healthUrls ? { healthUrls: options.deploy.healthUrls } : {}),
    });
    registry.withExecutor('code.deploy', routeDeploys(byRef, byHook, new Set(Object.keys(hooks.hooks))));
  } else if (byRef) registry.withExecutor('code.deploy', byRef);
  if (options.tickets) registry.withExecutor('ticket.update', createTicketUpdateExecutor(options.tickets));
  if (options.paymentsUrl) registry.withExecutor('payment.refund', createPaymentRefundExecutor({ baseUrl: options.paymentsUrl }));
  if (options.sandboxLedger) {
    for (const name of SANDBOXABLE) {
      if (!registry.get(name)?.executor) registry.withExecutor(name, createSandboxExecutor(options.sandboxLedger, name));
    }
  }
  return registry;
}
