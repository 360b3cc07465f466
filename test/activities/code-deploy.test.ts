/** The `code.deploy` executor against a real git repository and a real health-check endpoint. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodeDeployExecutor, type CodeDeployParams } from '../../activities/executors/code-deploy';
import { CommitRejectedError, type ExecutionContext } from '../../src/actions/executor';
import { CodeDeployParamsSchema } from '../../src/actions/schemas';
import { createLogger } from '../../src/observability/logger';
import { parseEgressAllowList } from '../../src/egress/allow-list';
import { createEgress } from '../../src/egress/guarded-fetch';

/** The targets of these tests listen on loopback, which the egress guard refuses unless named. */
const LOOPBACK_EGRESS = createEgress({ allow: parseEgressAllowList('127.0.0.1') });

let dir: string;
let repo: string;
let health: Server;
let healthStatus = 200;
let healthUrl: string;
const commits: Record<string, string> = {};
const logger = createLogger({ level: 'silent' });
let counter = 0;
const unique = (prefix: string): string => `${prefix}-${++counter}`;
const ctx = (idempotencyKey = unique('key'), attempt = 1): ExecutionContext => ({
  idempotencyKey,
  attempt,
  workflowId: 'wf-deploy',
  logger,
  egress: LOOPBACK_EGRESS,
});
const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
const deployed = (env = 'production'): string | null => {
  try {
    return git('rev-parse', '--verify', '--quiet', `refs/deploy/${env}`);
  } catch {
    return null;
  }
};
const params = (input: Partial<CodeDeployParams> = {}): CodeDeployParams =>
  CodeDeployParamsSchema.parse({ service: 'payments-api', environment: 'production', ref: 'v2', ...input });
const executor = (withHealth = false) =>
  createCodeDeployExecutor({ repos: { 'payments-api': repo }, ...(withHealth ? { healthUrls: { 'payments-api': healthUrl } } : {}) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-deploy-'));
  repo = join(dir, 'payments-api');
  execFileSync('git', ['init', '-q', repo]);
  for (const tag of ['v1', 'v2', 'v3']) {
    git('-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-q', '--allow-empty', '-m', tag);
    git('tag', tag);
    commits[tag] = git('rev-parse', 'HEAD');
  }
  health = createServer((_req, res) => res.writeHead(healthStatus).end());
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/healthz`;
});
afterAll(async () => {
  await new Promise((r) => health?.close(r));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  git('update-ref', 'refs/deploy/production', commits['v1']!);
  healthStatus = 200;
});

describe('commit and verify', () => {
  it('moves the deploy ref to the approved commit and verifies the ref and the health check', async () => {
    const key = unique('key');
    const p = params({ commit: commits['v2'], expectedCurrent: commits['v1'] });
    const outcome = await executor(true).commit(p, ctx(key));
    expect(outcome).toMatchObject({
      alreadyApplied: false,
      record: { deployRef: 'refs/deploy/production', previous: commits['v1'], target: commits['v2'] },
    });
    expect(deployed()).toBe(commits['v2']);
    await expect(executor(true).verify(p, outcome.record, ctx(key))).resolves.toEqual({
      ok: true,
      observed: { deployRef: 'refs/deploy/production', current: commits['v2'], ledger: 'applied', health: { status: 200 } },
    });
  });

  it('fails verification when the health check fails or the ref was moved away', async () => {
    const key = unique('key');
    const p = params();
    const outcome = await executor(true).commit(p, ctx(key));
    healthStatus = 503;
    await expect(executor(true).verify(p, outcome.record, ctx(key))).resolves.toMatchObject({
      ok: false,
      observed: { health: { status: 503 } },
    });
    healthStatus = 200;
    git('update-ref', 'refs/deploy/production', commits['v3']!);
    await expect(executor(true).verify(p, outcome.record, ctx(key))).resolves.toMatchObject({
      ok: false,
      observed: { current: commits['v3'] },
    });
  });

  it('makes a first deploy of an environment that has none', async () => {
    const key = unique('key');
    const p = params({ environment: 'staging', expectedCurrent: null });
    const outcome = await executor().commit(p, ctx(key));
    expect(outcome.record).toMatchObject({ previous: null, target: commits['v2'] });
    expect(deployed('staging')).toBe(commits['v2']);
    await executor().rollback!(p, outcome.record, ctx(key));
    expect(deployed('staging')).toBeNull();
  });
});

describe('compare-and-swap and exactly once', () => {
  it('refuses when the deploy ref no longer points where the proposal saw it', async () => {
    git('update-ref', 'refs/deploy/production', commits['v3']!);
    await expect(executor().commit(params({ expectedCurrent: commits['v1'] }), ctx())).rejects.toBeInstanceOf(CommitRejectedError);
    expect(deployed()).toBe(commits['v3']);
  });

  it('refuses when the ref now names another commit than the approved one', async () => {
    await expect(executor().commit(params({ commit: commits['v3'] }), ctx())).rejects.toThrow(/not the approved/);
    expect(deployed()).toBe(commits['v1']);
  });

  it('moves once per key: a retry after a crash finds its ledger ref and does not move again', async () => {
    const key = unique('key');
    const first = await executor().commit(params(), ctx(key));
    // Someone deploys v3 after us; our retried commit must not drag the ref back to v2.
    git('update-ref', 'refs/deploy/production', commits['v3']!);
    const retry = await executor().commit(params(), ctx(key, 2));
    expect(retry).toEqual({ alreadyApplied: true, record: first.record });
    expect(deployed()).toBe(commits['v3']);
  });

  it('lets one of several concurrent attempts with one key move the ref', async () => {
    const key = unique('key');
    const outcomes = await Promise.allSettled([1, 2, 3].map((attempt) => executor().commit(params(), ctx(key, attempt))));
    const moved = outcomes.filter((o) => o.status === 'fulfilled' && !o.value.alreadyApplied);
    expect(moved).toHaveLength(1);
    expect(deployed()).toBe(commits['v2']);
  });

  it('refuses refs that are not plain names, in the schema, and unknown services', async () => {
    for (const ref of ['--upload-pack=touch /tmp/x', '-v2', 'v1..v2', 'v2;rm', 'v2 v3']) {
      expect(CodeDeployParamsSchema.safeParse({ service: 'payments-api', environment: 'production', ref }).success).toBe(false);
    }
    await expect(executor().commit(params({ ref: 'no-such-tag' }), ctx())).rejects.toBeInstanceOf(CommitRejectedError);
    await expect(executor().commit(params({ service: 'billing' }), ctx())).rejects.toBeInstanceOf(CommitRejectedError);
    expect(deployed()).toBe(commits['v1']);
  });
});

describe('rollback', () => {
  it('moves the ref back to the recorded previous commit, once', async () => {
    const key = unique('key');
    const outcome = await executor().commit(params(), ctx(key));
    await expect(executor().rollback!(params(), outcome.record, ctx(key))).resolves.toMatchObject({
      rolledBack: true,
      restored: commits['v1'],
    });
    expect(deployed()).toBe(commits['v1']);
    await expect(executor().rollback!(params(), outcome.record, ctx(key, 2))).resolves.toMatchObject({ alreadyRolledBack: true });
    await expect(executor().verify(params(), outcome.record, ctx(key))).resolves.toMatchObject({ ok: false });
  });

  it('refuses to roll back over a later deploy', async () => {
    const key = unique('key');
    const outcome = await executor().commit(params(), ctx(key));
    git('update-ref', 'refs/deploy/production', commits['v3']!);
    await expect(executor().rollback!(params(), outcome.record, ctx(key))).rejects.toBeInstanceOf(CommitRejectedError);
    expect(deployed()).toBe(commits['v3']);
  });
});
