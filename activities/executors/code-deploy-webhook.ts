/**
 * `code.deploy` through a deploy webhook, for services whose deploys a CD system (or a small
 * service in front of it) starts on request. Chosen per service by GATEHOUSE_DEPLOY_WEBHOOKS; the
 * request goes through the run's egress guard and is HMAC-signed like outcome webhooks
 * (GATEHOUSE_WEBHOOK_KEYS, `Gatehouse-Signature: t=…,k=…,v1=<HMAC-SHA256 of "t.body">`).
 *
 * The contract (src/dev/deploy-webhook.ts implements it for the tests and the dev stack):
 * - `POST {hook}/deploys`, signed, `Idempotency-Key: <key>`, body `{ idempotencyKey, service,
 *   environment, ref, commit?, expectedCurrent? }` → 200/201 `{ deploy }`; a replay of the key
 *   returns the first deploy; 409 when the environment no longer runs `expectedCurrent` or `ref`
 *   names another commit than `commit` (refused for good); other 4xx refused, 5xx retried.
 * - `GET {hook}/deploys/<key>` → 200 `{ deploy }` or 404: what the commit checks before it
 *   posts, and what verify reads (`deploy.status` must be `succeeded`, on the approved commit).
 * - `POST {hook}/deploys/<key>/rollback`, signed → 200 `{ deploy }` back on `deploy.previous`;
 *   409 when a later deploy replaced it.
 */
import { z } from 'zod';
import { CommitRejectedError, type CommitRecord, type Executor } from '../../src/actions/executor';
import type { Egress } from '../../src/egress/guarded-fetch';
import { SIGNATURE_HEADER, signWebhook, type WebhookKeyring } from '../../src/webhooks/signature';
import { healthRequest, type CodeDeployParams } from './code-deploy';

export const DeployStatusSchema = z.object({
  idempotencyKey: z.string(),
  service: z.string(),
  environment: z.string(),
  commit: z.string(),
  previous: z.string().nullable(),
  status: z.enum(['deploying', 'succeeded', 'failed', 'rolled_back']),
});
export type DeployStatus = z.infer<typeof DeployStatusSchema>;
const ReplySchema = z.object({ deploy: DeployStatusSchema });

export interface DeployWebhookExecutorOptions {
  /** Webhook base URL per service. */
  hooks: Record<string, string>;
  keys: WebhookKeyring;
  healthUrls?: Record<string, string>;
  timeoutMs?: number;
}

/** Thrown when the deploy webhook answers in a way a retry may fix (5xx, 429, a broken answer). */
export class DeployWebhookError extends Error {
  override readonly name = 'DeployWebhookError';
}

const rejected = (message: string): CommitRejectedError => new CommitRejectedError(`code.deploy refused: ${message}`);

export function createDeployWebhookExecutor(options: DeployWebhookExecutorOptions): Executor<CodeDeployParams> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const hookOf = (service: string): string => {
    const hook = Object.hasOwn(options.hooks, service) ? options.hooks[service] : undefined;
    if (!hook) throw rejected(`no deploy webhook is configured for service "${service}" on this worker`);
    return hook.replace(/\/+$/, '');
  };
  const keyPath = (key: string): string => encodeURIComponent(key);

  async function call(egress: Egress, url: string, doing: string, body?: Record<string, unknown>, key?: string) {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const response = await egress.fetch(url, {
      method: text === undefined ? 'GET' : 'POST',
      headers: {
        accept: 'application/json',
        ...(text !== undefined
          ? {
              'content-type': 'application/json',
              [SIGNATURE_HEADER]: signWebhook(options.keys, text),
              ...(key ? { 'idempotency-key': key } : {}),
            }
          : {}),
      },
      body: text ?? null,
      timeoutMs,
    });
    if (response.status === 404 && text === undefined) return undefined;
    if (response.status >= 500 || response.status === 429 || response.status === 408)
      throw new DeployWebhookError(`${doing}: HTTP ${response.status}`);
    if (response.status === 409) throw rejected(`${doing}: ${(await response.text()).slice(0, 300)}`);
    if (response.status < 200 || response.status > 299) throw rejected(`${doing}: HTTP ${response.status}`);
    const parsed = ReplySchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new DeployWebhookError(`${doing}: the answer does not follow the contract ({ deploy })`);
    return parsed.data.deploy;
  }

  const recordOf = (deploy: DeployStatus): CommitRecord => ({ ...deploy, via: 'webhook' });

  return {
    async commit(params, ctx) {
      const hook = hookOf(params.service);
      // Check before acting: an earlier attempt may have started the deploy and died unanswered.
      const earlier = await call(ctx.egress, `${hook}/deploys/${keyPath(ctx.idempotencyKey)}`, 'reading the deploy');
      if (earlier) return { alreadyApplied: true, record: recordOf(earlier) };
      const deploy = await call(
        ctx.egress,
        `${hook}/deploys`,
        `deploying ${params.service} to ${params.environment}`,
        {
          idempotencyKey: ctx.idempotencyKey,
          service: params.service,
          environment: params.environment,
          ref: params.ref,
          ...(params.commit ? { commit: params.commit } : {}),
          ...(params.expectedCurrent !== undefined ? { expectedCurrent: params.expectedCurrent } : {}),
        },
        ctx.idempotencyKey,
      );
      ctx.logger.info({ service: params.service, environment: params.environment, commit: deploy!.commit }, 'code.deploy webhook commit');
      return { alreadyApplied: false, record: recordOf(deploy!) };
    },

    async verify(params, record, ctx) {
      const deploy = await call(ctx.egress, `${hookOf(params.service)}/deploys/${keyPath(ctx.idempotencyKey)}`, 'reading the deploy');
      const observed: Record<string, unknown> = { status: deploy?.status ?? 'missing', commit: deploy?.commit ?? null };
      let ok = deploy?.status === 'succeeded' && deploy.commit === (params.commit ?? record['commit']);
      const healthUrl =
        options.healthUrls && Object.hasOwn(options.healthUrls, params.service) ? options.healthUrls[params.service] : undefined;
      if (healthUrl) {
        const health = await healthRequest(ctx.egress, healthUrl, timeoutMs).catch((err: unknown) => ({ status: 0, error: String(err) }));
        observed['health'] = health;
        ok &&= health.status >= 200 && health.status < 300;
      }
      return { ok, observed };
    },

    async rollback(params, _record, ctx) {
      const key = keyPath(ctx.idempotencyKey);
      const deploy = await call(ctx.egress, `${hookOf(params.service)}/deploys/${key}/rollback`, 'rolling the deploy back', {
        idempotencyKey: ctx.idempotencyKey,
      });
      return recordOf(deploy!);
    },
  };
}

/** One `code.deploy` executor for the worker: the webhook for services that have one, else the git deploy ref. */
export function routeDeploys(
  byRef: Executor<CodeDeployParams> | undefined,
  byHook: Executor<CodeDeployParams> | undefined,
  hookServices: ReadonlySet<string>,
): Executor<CodeDeployParams> {
  const pick = (params: CodeDeployParams): Executor<CodeDeployParams> => {
    const executor = hookServices.has(params.service) ? byHook : byRef;
    if (!executor) throw rejected(`no deploy target is configured for service "${params.service}" on this worker`);
    return executor;
  };
  return {
    readPreconditions: async (params, fields, ctx) => (await pick(params).readPreconditions?.(params, fields, ctx)) ?? {},
    commit: async (params, ctx) => pick(params).commit(params, ctx),
    verify: async (params, record, ctx) => pick(params).verify(params, record, ctx),
    rollback: async (params, record, ctx) => {
      const executor = pick(params);
      if (!executor.rollback) throw rejected('this deploy target cannot roll back');
      return executor.rollback(params, record, ctx);
    },
  };
}
