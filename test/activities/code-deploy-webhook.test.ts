/**
 * The `code.deploy` webhook variant against the local deploy webhook over real HTTP: signed
 * requests through the egress guard, one deploy per idempotency key (the commit checks the status
 * URL before it posts), compare-and-swap on the running commit, verify by reading the status and
 * the health check, rollback to the recorded previous commit.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDeployWebhookExecutor, routeDeploys } from '../../activities/executors/code-deploy-webhook';
import { CommitRejectedError, type ExecutionContext } from '../../src/actions/executor';
import { CodeDeployParamsSchema } from '../../src/actions/schemas';
import { startDeployWebhook, type DeployWebhook } from '../../src/dev/deploy-webhook';
import { parseEgressAllowList } from '../../src/egress/allow-list';
import { createEgress } from '../../src/egress/guarded-fetch';
import { generateLinkSecret } from '../../src/links/keyring';
import { createLogger } from '../../src/observability/logger';
import { parseWebhookKeyring, signWebhook } from '../../src/webhooks/signature';

const V1 = '1'.repeat(40);
const V2 = '2'.repeat(40);
const V3 = '3'.repeat(40);
const keys = parseWebhookKeyring(`d1:${generateLinkSecret()}`);
const logger = createLogger({ level: 'silent' });
let hook: DeployWebhook;
let health: Server;
let healthy = true;
let healthUrl: string;
let counter = 0;

const ctx = (idempotencyKey = `key-${++counter}`, attempt = 1): ExecutionContext => ({
  idempotencyKey,
  attempt,
  workflowId: 'wf-deploy-hook',
  logger,
  egress: createEgress({ allow: parseEgressAllowList('127.0.0.1') }),
});
const params = (over: Record<string, unknown> = {}) =>
  CodeDeployParamsSchema.parse({ service: 'web', environment: 'production', ref: 'v2', commit: V2, expectedCurrent: V1, ...over });
const executor = (withHealth = false) =>
  createDeployWebhookExecutor({ hooks: { web: hook.url }, keys, ...(withHealth ? { healthUrls: { web: healthUrl } } : {}) });

beforeAll(async () => {
  health = createServer((_req, res) => void res.writeHead(healthy ? 200 : 503).end());
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health`;
});
beforeEach(async () => {
  healthy = true;
  hook = await startDeployWebhook({ keys, refs: { web: { v2: V2, v3: V3 } }, running: { 'web/production': V1 } });
});
afterEach(() => hook.close());
afterAll(() => new Promise((r) => health.close(r)));

describe('code.deploy through a deploy webhook', () => {
  it('deploys the approved commit with a signed request and verifies by reading the status and the health check', async () => {
    const key = 'key-deploy';
    const outcome = await executor(true).commit(params(), ctx(key));
    expect(outcome).toMatchObject({ alreadyApplied: false, record: { commit: V2, previous: V1, via: 'webhook' } });
    expect(hook.running.get('web/production')).toBe(V2);
    await expect(executor(true).verify(params(), outcome.record, ctx(key))).resolves.toMatchObject({ ok: true });
    healthy = false;
    await expect(executor(true).verify(params(), outcome.record, ctx(key))).resolves.toMatchObject({
      ok: false,
      observed: { health: { status: 503 } },
    });
  });

  it('deploys once per key: a retry finds the deploy at the status URL and posts nothing', async () => {
    const key = 'key-once';
    await executor().commit(params(), ctx(key));
    const retry = await executor().commit(params(), ctx(key, 2));
    expect(retry.alreadyApplied).toBe(true);
    expect(hook.started).toBe(1);
  });

  it('refuses, for good, when the environment no longer runs the commit the proposal saw, or the ref moved', async () => {
    hook.running.set('web/production', V3);
    await expect(executor().commit(params(), ctx())).rejects.toBeInstanceOf(CommitRejectedError);
    hook.running.set('web/production', V1);
    await expect(executor().commit(params({ ref: 'v3' }), ctx())).rejects.toThrow(/not the approved commit/);
    expect(hook.started).toBe(0);
  });

  it('is refused by the webhook without a valid signature', async () => {
    const body = JSON.stringify({ idempotencyKey: 'k', service: 'web', environment: 'production', ref: 'v2' });
    const unsigned = await fetch(`${hook.url}/deploys`, { method: 'POST', body, headers: { 'idempotency-key': 'k' } });
    const forged = await fetch(`${hook.url}/deploys`, {
      method: 'POST',
      body: body.replace('v2', 'v3'),
      headers: { 'idempotency-key': 'k', 'gatehouse-signature': signWebhook(keys, body) },
    });
    expect([unsigned.status, forged.status]).toEqual([401, 401]);
    expect(hook.started).toBe(0);
  });

  it('rolls back to the recorded previous commit, and verify then fails', async () => {
    const key = 'key-rollback';
    const outcome = await executor().commit(params(), ctx(key));
    await expect(executor().rollback!(params(), outcome.record, ctx(key))).resolves.toMatchObject({ status: 'rolled_back', previous: V1 });
    expect(hook.running.get('web/production')).toBe(V1);
    await expect(executor().verify(params(), outcome.record, ctx(key))).resolves.toMatchObject({ ok: false });
  });

  it('routes by service: the webhook for services that have one, the other target for the rest', async () => {
    const calls: string[] = [];
    const byRef = {
      commit: async () => (calls.push('ref'), { alreadyApplied: false, record: {} }),
      verify: async () => ({ ok: true, observed: {} }),
    };
    const routed = routeDeploys(byRef, executor(), new Set(['web']));
    await routed.commit(params(), ctx());
    await routed.commit(params({ service: 'billing' }), ctx());
    expect(calls).toEqual(['ref']);
    expect(hook.started).toBe(1);
    await expect(
      routeDeploys(undefined, executor(), new Set(['web'])).commit(params({ service: 'billing' }), ctx()),
    ).rejects.toBeInstanceOf(CommitRejectedError);
  });
});
