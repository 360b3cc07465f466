/**
 * `http.request`: calls a target that honours an `Idempotency-Key`, and before any retry asks the
 * target's read-only verify URL whether the effect is already there. Every request goes through
 * the context's egress guard, never the global fetch.
 */
import type { HttpRequestParams } from '../../src/actions/schemas';
import { CommitRejectedError, type ExecutionContext, type Executor } from '../../src/actions/executor';

const REQUEST_TIMEOUT_MS = 10_000;
/** Statuses that say "try again later" rather than "never". */
const RETRYABLE_STATUSES = new Set([408, 409, 425, 429]);

/** Statuses that say "no such effect"; anything else unexpected means "cannot tell". */
const ABSENT_STATUSES = new Set([404, 410]);

async function effectExists(params: HttpRequestParams, ctx: ExecutionContext): Promise<{ exists: boolean; status: number }> {
  const response = await ctx.egress.fetch(params.verify.url, { method: 'GET', timeoutMs: REQUEST_TIMEOUT_MS });
  await response.arrayBuffer();
  if (response.status === params.verify.expectStatus) return { exists: true, status: response.status };
  if (ABSENT_STATUSES.has(response.status)) return { exists: false, status: response.status };
  // A 503 is not "absent": treating it so would send the effect twice or roll back a good one.
  throw new Error(`verify URL answered ${response.status}; cannot tell whether the effect exists, will retry`);
}

async function readBody(response: Response): Promise<unknown> {
  const text = (await response.text()).slice(0, 4_000);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Every URL the action will use, checked before the first byte is sent: a commit whose verify or
 * rollback URL is refused would otherwise leave an effect nobody can confirm or undo.
 */
function checkAllUrls(params: HttpRequestParams, ctx: ExecutionContext): void {
  for (const url of [params.url, params.verify.url, params.preconditionUrl, params.rollback?.url]) {
    if (url !== undefined) ctx.egress.check(url);
  }
}

export function createHttpRequestExecutor(): Executor<HttpRequestParams> {
  return {
    async commit(params, ctx) {
      checkAllUrls(params, ctx);
      if (ctx.attempt > 1) {
        const check = await effectExists(params, ctx);
        if (check.exists) {
          ctx.logger.info({ workflowId: ctx.workflowId, attempt: ctx.attempt }, 'effect found before retry; not sending again');
          return { alreadyApplied: true, record: { verifiedBeforeRetry: true, verifyStatus: check.status } };
        }
      }
      const response = await ctx.egress.fetch(params.url, {
        method: params.method,
        headers: {
          ...params.headers,
          'content-type': 'application/json',
          'idempotency-key': ctx.idempotencyKey,
        },
        body: params.body === undefined ? null : JSON.stringify(params.body),
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      const body = await readBody(response);
      if (response.ok) return { alreadyApplied: false, record: { status: response.status, body } };
      if (response.status >= 400 && response.status < 500 && !RETRYABLE_STATUSES.has(response.status)) {
        throw new CommitRejectedError(`target refused the request with ${response.status}`);
      }
      throw new Error(`target answered ${response.status}; will retry with the same idempotency key`);
    },
    async verify(params, _record, ctx) {
      const check = await effectExists(params, ctx);
      return { ok: check.exists, observed: { verifyStatus: check.status } };
    },
    async readPreconditions(params, fields, ctx) {
      if (!params.preconditionUrl) return {};
      checkAllUrls(params, ctx);
      const response = await ctx.egress.fetch(params.preconditionUrl, { timeoutMs: REQUEST_TIMEOUT_MS });
      if (!response.ok) throw new Error(`precondition resource answered ${response.status}`);
      const body = (await response.json()) as Record<string, unknown>;
      return Object.fromEntries(fields.map((f) => [f, body[f]]));
    },
    canRollback: (params) => params.rollback !== undefined,
    async rollback(params, _record, ctx) {
      const undo = params.rollback!;
      const response = await ctx.egress.fetch(undo.url, {
        method: undo.method,
        headers: { 'idempotency-key': `${ctx.idempotencyKey}:rollback` },
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      await response.arrayBuffer();
      // 404: nothing (left) to undo, which is what a rollback wants.
      if (!response.ok && response.status !== 404) throw new Error(`rollback answered ${response.status}`);
      return { rollbackStatus: response.status };
    },
  };
}
