/**
 * A deploy webhook for the dev stack and the tests, implementing the contract of
 * activities/executors/code-deploy-webhook.ts in memory: signed requests only (HMAC, the
 * webhook keyring), deploys idempotent by key, compare-and-swap on the running commit, rollback
 * to the recorded previous commit. Refs resolve through the map it is started with.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignedBody, WebhookVerificationError, type WebhookKeyring } from '../webhooks/signature';

export interface DevDeploy {
  idempotencyKey: string;
  service: string;
  environment: string;
  commit: string;
  previous: string | null;
  status: 'deploying' | 'succeeded' | 'failed' | 'rolled_back';
}

export interface DeployWebhook {
  url: string;
  /** Deploys by idempotency key. */
  deploys: Map<string, DevDeploy>;
  /** What each `service/environment` runs now. */
  running: Map<string, string>;
  /** Every signed POST that started a deploy (replays excluded). */
  started: number;
  /** Requests refused for their signature. */
  unsigned: number;
  close(): Promise<void>;
}

export interface DeployWebhookOptions {
  keys: WebhookKeyring;
  /** Ref name → commit, per service: `{ 'payments-api': { 'v2.14.0': 'abc…' } }`. */
  refs: Record<string, Record<string, string>>;
  /** What runs at start, by `service/environment`. */
  running?: Record<string, string>;
  port?: number;
  host?: string;
}

export async function startDeployWebhook(options: DeployWebhookOptions): Promise<DeployWebhook> {
  const hook: DeployWebhook = {
    url: '',
    deploys: new Map(),
    running: new Map(Object.entries(options.running ?? {})),
    started: 0,
    unsigned: 0,
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const json = (status: number, value: unknown): void =>
        void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      const byKey = /^\/deploys\/([^/]+)(\/rollback)?$/.exec(path);
      if (req.method === 'GET' && byKey && !byKey[2]) {
        const deploy = hook.deploys.get(decodeURIComponent(byKey[1]!));
        return deploy ? json(200, { deploy }) : json(404, { error: 'no such deploy' });
      }
      if (req.method !== 'POST') return json(405, { error: 'GET or POST' });
      try {
        verifySignedBody({ body, headers: req.headers, keys: options.keys });
      } catch (err) {
        if (!(err instanceof WebhookVerificationError)) throw err;
        hook.unsigned += 1;
        return json(401, { error: err.message });
      }
      const input = JSON.parse(body) as Record<string, unknown>;
      if (byKey?.[2]) {
        const deploy = hook.deploys.get(decodeURIComponent(byKey[1]!));
        if (!deploy) return json(404, { error: 'no such deploy' });
        const slot = `${deploy.service}/${deploy.environment}`;
        if (deploy.status === 'rolled_back') return json(200, { deploy });
        if (hook.running.get(slot) !== deploy.commit) return json(409, { error: 'a later deploy replaced this one' });
        if (deploy.previous === null) hook.running.delete(slot);
        else hook.running.set(slot, deploy.previous);
        deploy.status = 'rolled_back';
        return json(200, { deploy });
      }
      if (path !== '/deploys') return json(404, { error: 'no such resource' });
      const key = String(req.headers['idempotency-key'] ?? '');
      if (!key || key !== input['idempotencyKey']) return json(400, { error: 'Idempotency-Key header must match the body' });
      const replay = hook.deploys.get(key);
      if (replay) return json(200, { deploy: replay });
      const service = String(input['service']);
      const environment = String(input['environment']);
      const commit = options.refs[service]?.[String(input['ref'])];
      if (!commit) return json(422, { error: `unknown ref ${String(input['ref'])} of ${service}` });
      if (input['commit'] !== undefined && input['commit'] !== commit)
        return json(409, { error: `ref now names ${commit}, not the approved commit` });
      const slot = `${service}/${environment}`;
      const current = hook.running.get(slot) ?? null;
      if (input['expectedCurrent'] !== undefined && input['expectedCurrent'] !== current)
        return json(409, { error: `${slot} runs ${current ?? 'nothing'}, not ${JSON.stringify(input['expectedCurrent'])}` });
      hook.running.set(slot, commit);
      const deploy: DevDeploy = { idempotencyKey: key, service, environment, commit, previous: current, status: 'succeeded' };
      hook.deploys.set(key, deploy);
      hook.started += 1;
      return json(201, { deploy });
    });
  });
  await new Promise<void>((r) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', r));
  hook.url = `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  hook.close = () => new Promise((r) => server.close(() => r()));
  return hook;
}
