/**
 * `payment.refund` through a payments API over HTTP: the refund is a POST to `/refunds` carrying
 * the idempotency key, and the API's `/refunds/by-key/<key>` tells whether it exists. Built on the
 * `http.request` executor, so it inherits its check-before-retry and its error handling.
 */
import type { z } from 'zod';
import type { ExecutionContext, Executor } from '../../src/actions/executor';
import type { HttpRequestParams, PaymentRefundParamsSchema } from '../../src/actions/schemas';
import { createHttpRequestExecutor } from './http-request';

type RefundParams = z.infer<typeof PaymentRefundParamsSchema>;

export function createPaymentRefundExecutor(options: { baseUrl: string }): Executor<RefundParams> {
  const http = createHttpRequestExecutor();
  const base = options.baseUrl.replace(/\/+$/, '');
  const asRequest = (params: RefundParams, ctx: ExecutionContext): HttpRequestParams => ({
    method: 'POST',
    url: `${base}/refunds`,
    body: params,
    verify: { url: `${base}/refunds/by-key/${encodeURIComponent(ctx.idempotencyKey)}`, expectStatus: 200 },
  });
  return {
    commit: (params, ctx) => http.commit(asRequest(params, ctx), ctx),
    verify: (params, record, ctx) => http.verify(asRequest(params, ctx), record, ctx),
  };
}
