/**
 * Activity: POST a finished run's outcome to the webhook its proposal named, signed with the
 * worker's webhook key. Safe to retry: every attempt carries the same delivery id (receivers
 * dedupe on it) and a fresh timestamp, so a retry hours later still verifies.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../src/domain/errors';
import type { RunOutcome } from '../src/domain/outcome';
import type { EgressAllowList } from '../src/egress/allow-list';
import { createEgress, EgressRefusedError, type Resolver } from '../src/egress/guarded-fetch';
import type { Logger } from '../src/observability/logger';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhook, type WebhookKeyring } from '../src/webhooks/signature';

/** Where outcome webhooks may go and what signs them (GATEHOUSE_WEBHOOK_ALLOW, GATEHOUSE_WEBHOOK_KEYS). */
export interface WebhookSettings {
  /** Absent: no run's webhook is sent (each fails for good, with the reason in the worker's log). */
  keys?: WebhookKeyring;
  /**
   * Apart from the executors' list: the agent writes this URL, and an outcome POST aimed at a
   * target the executors may reach (a payments API, say) must not get through.
   */
  allow: EgressAllowList;
  resolve?: Resolver;
}

export interface DeliverOutcomeInput {
  url: string;
  outcome: RunOutcome;
}

/** Answers that will not change on a retry; 408, 425 and 429 say "later", so they are retried. */
function refusedForGood(status: number): boolean {
  return status >= 400 && status < 500 && ![408, 425, 429].includes(status);
}

export function createDeliverOutcome(deps: { webhooks?: WebhookSettings; logger: Logger }) {
  const settings = deps.webhooks;
  const egress = settings ? createEgress({ allow: settings.allow, ...(settings.resolve ? { resolve: settings.resolve } : {}) }) : undefined;
  return async function deliverOutcome(input: DeliverOutcomeInput): Promise<{ status: number }> {
    if (!settings?.keys || !egress)
      throw ApplicationFailure.nonRetryable('no webhook key is configured (GATEHOUSE_WEBHOOK_KEYS)', FailureType.webhookRefused);
    const body = JSON.stringify(input.outcome);
    let response: Response;
    try {
      response = await egress.fetch(input.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(settings.keys, body),
          [DELIVERY_HEADER]: input.outcome.deliveryId,
        },
        body,
        timeoutMs: 10_000,
      });
    } catch (err) {
      if (err instanceof EgressRefusedError) throw ApplicationFailure.nonRetryable(err.message, FailureType.egressRefused);
      throw err;
    }
    await response.body?.cancel();
    if (refusedForGood(response.status))
      throw ApplicationFailure.nonRetryable(`the webhook receiver answered ${response.status}`, FailureType.webhookRefused);
    // A 5xx is retried with backoff until the receiver is back (a redirect was refused above).
    if (response.status >= 300) throw new Error(`the webhook receiver answered ${response.status}`);
    deps.logger.info({ workflowId: input.outcome.workflowId, deliveryId: input.outcome.deliveryId }, 'outcome webhook delivered');
    return { status: response.status };
  };
}
