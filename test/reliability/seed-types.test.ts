/**
 * Every seed action type, end to end on the real server with a real worker process: a signed
 * approval, then the worker is SIGKILLed while its executor is inside the commit at the real
 * target, a new worker takes the commit over, and the target holds exactly one effect, which the
 * run verified by reading it. Where the type is reversible, a verification that fails makes the
 * run roll the effect back (code.deploy: health check down; ticket.update: a stale read).
 *
 * How each commit is held inside its target while the worker dies:
 * - db.write: the test holds a lock on the row, so the executor's UPDATE waits in its transaction;
 * - access.grant: the test holds an uncommitted ledger row under the run's idempotency key, so
 *   the executor's claim waits;
 * - email.send: an SMTP proxy passes the mail to the inbox and keeps the server's 250 back, so
 *   the retry finds a `sending` outbox entry and must look in the mailbox, not send again;
 * - ticket.update, payment.refund: a proxy forwards the write (the target applies it) and keeps
 *   the answer back, so the retry must find the effect, not make it again;
 * - code.deploy: a stand-in `git` first on the worker's PATH waits before `update-ref`.
 *
 * Needs `npm run build` (the test spawns `node dist/src/worker/main.js`).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Pool, type PoolClient } from 'pg';
import { createPostgresOutbox } from '../../activities/executors/email-outbox';
import { messageIdForAction } from '../../activities/executors/email-send';
import { GatehouseClient } from '../../src/client';
import { idempotencyKeyFor } from '../../src/domain/ids';
import type { ProposalInput } from '../../src/domain/proposal';
import type { ApprovalState } from '../../src/domain/state';
import { startDeployWebhook, type DeployWebhook } from '../../src/dev/deploy-webhook';
import { generateLinkSecret } from '../../src/links/keyring';
import { startDevInbox, type DevInbox } from '../../src/mail/dev-inbox';
import { parseWebhookKeyring } from '../../src/webhooks/signature';
import { eventually } from '../support/harness';
import { commitTries } from '../support/commit-tries';
import { startPaymentsApi, type PaymentsApi } from '../support/payments-api';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { startTicketApi, type TicketApi } from '../support/ticket-api';
import { startHoldingProxy, type HoldingProxy } from './support/holding-proxy';
import { startSmtpHoldProxy, type SmtpHoldProxy } from './support/smtp-hold-proxy';
import { approveWhenWaiting, prepareWorkerSetup, type WorkerSetup } from './support/worker-setup';
import { spawnWorker, type WorkerProcess, type WorkerProcessEnv } from './support/worker-process';

const SEED_TYPES = ['db.write', 'access.grant', 'ticket.update', 'payment.refund', 'code.deploy', 'email.send'] as const;
type SeedType = (typeof SEED_TYPES)[number];

let pg: TestPostgres;
let accounts: Pool;
let outbox: Pool;
let tickets: TicketApi;
let payments: PaymentsApi;
let ticketProxy: HoldingProxy;
let paymentsProxy: HoldingProxy;
let health: Server;
let deployHook: DeployWebhook;
const webhookKeys = `d1:${generateLinkSecret()}`;
let inbox: DevInbox;
let smtp: SmtpHoldProxy;
let connection: Connection;
let client: Client;
let gatehouse: GatehouseClient;
let setup: WorkerSetup;
let env: WorkerProcessEnv;
const workers = new Set<WorkerProcess>();
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-seed-'));
const gitHold = join(dir, 'git-hold');
const repos: Record<string, string> = {};
const commits: Record<string, string> = {};

const git = (repo: string, ...args: string[]): string =>
  execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }).trim();

function makeRepo(service: string): void {
  const repo = join(dir, `repo-${service}`);
  mkdirSync(repo);
  git(repo, 'init', '-q');
  for (const tag of ['v1', 'v2']) {
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-q', '--allow-empty', '-m', tag);
    git(repo, 'tag', tag);
    commits[`${service}:${tag}`] = git(repo, 'rev-parse', 'HEAD');
  }
  git(repo, 'update-ref', 'refs/deploy/production', commits[`${service}:v1`]!);
  repos[service] = repo;
}

/** A `git` that waits before `update-ref` while the hold file exists, and gives up when its worker dies. */
function gitStandIn(): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  writeFileSync(
    join(bin, 'git'),
    [
      '#!/usr/bin/env bash',
      'parent=$PPID',
      `if [[ " $* " == *" update-ref "* && -e '${gitHold}' ]]; then`,
      `  touch '${gitHold}.waiting'`,
      `  while [[ -e '${gitHold}' ]]; do kill -0 "$parent" 2>/dev/null || exit 1; sleep 0.05; done`,
      'fi',
      `exec '${realGit}' "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'git'), 0o755);
  return bin;
}

function writePolicies(): void {
  const policies = env.GATEHOUSE_POLICIES_DIR;
  for (const type of SEED_TYPES) {
    writeFileSync(
      join(policies, `${type}.yaml`),
      [
        `actionType: ${type}`,
        'risk: high',
        'mode: supervised',
        'approvals: { steps: [{ role: approver, count: 1 }] }',
        'sla: { expireAfter: 1h }',
        '',
      ].join('\n'),
    );
  }
  const agents = readFileSync(env.GATEHOUSE_AGENTS_FILE, 'utf8').replace(
    'scope: [http.request]',
    `scope: [http.request, ${SEED_TYPES.join(', ')}]`,
  );
  writeFileSync(env.GATEHOUSE_AGENTS_FILE, agents);
}

const proposal = (id: string, actionType: SeedType, params: Record<string, unknown>): ProposalInput => ({
  id,
  actionType,
  params,
  agent: { id: 'agent-7', name: 'Seed agent' },
  requestedBy: { id: 'peter', name: 'Peter Principal' },
  summary: `Seed type ${actionType}`,
  evidence: { rationale: 'worker kill test' },
});

async function start(input: ProposalInput): Promise<WorkflowHandle> {
  const run = await gatehouse.propose(input);
  const handle = client.workflow.getHandle(run.workflowId);
  await approveWhenWaiting(handle, setup);
  return handle;
}

const count = async (pool: Pool, sql: string, params: unknown[]): Promise<number> =>
  Number((await pool.query<{ n: string }>(sql, params)).rows[0]!.n);

async function mails(subject: string): Promise<number> {
  const list = (await (await fetch(`${inbox.apiBaseUrl}/email`)).json()) as { subject: string }[];
  return list.filter((m) => m.subject === subject).length;
}

beforeAll(async () => {
  pg = await startPostgres({ databases: ['accounts', 'outbox'] });
  accounts = new Pool({ connectionString: pg.urlOf('accounts'), max: 4 });
  outbox = new Pool({ connectionString: pg.urlOf('outbox'), max: 2 });
  accounts.on('error', () => undefined);
  outbox.on('error', () => undefined);
  await accounts.query(`
    CREATE TABLE accounts (id text PRIMARY KEY, owner text NOT NULL, note text, version integer NOT NULL DEFAULT 1);
    CREATE TABLE effects (account_id text NOT NULL);
    CREATE FUNCTION count_effect() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO effects VALUES (NEW.id); RETURN NEW; END $$;
    CREATE TRIGGER count_effect AFTER UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION count_effect();
    INSERT INTO accounts (id, owner, note) VALUES ('acct-1', 'ada', 'before');
    CREATE ROLE reports_read NOLOGIN;
    CREATE ROLE ana LOGIN;
    CREATE ROLE warm_role NOLOGIN;
    CREATE ROLE warm_user LOGIN;
  `);
  // The ledger and outbox tables exist once an executor has run; make them now so the test can
  // hold a claim row in them before the first commit.
  await createPostgresOutbox(outbox).get('warm-up');
  const { createAccessGrantExecutor } = await import('../../activities/executors/access-grant');
  const { createEgress } = await import('../../src/egress/guarded-fetch');
  const { createLogger } = await import('../../src/observability/logger');
  await createAccessGrantExecutor({ systems: { warehouse: accounts } }).commit(
    { system: 'warehouse', subject: 'warm_user', role: 'warm_role', justification: 'warm-up' },
    {
      idempotencyKey: 'warm-up',
      attempt: 1,
      workflowId: 'warm-up',
      logger: createLogger({ level: 'silent' }),
      egress: createEgress({ allow: { entries: [] } }),
    },
  );

  tickets = await startTicketApi([
    { id: 'OPS-1', fields: { priority: 'P3' } },
    { id: 'OPS-2', fields: { priority: 'P3' } },
  ]);
  payments = await startPaymentsApi();
  ticketProxy = await startHoldingProxy(tickets.url);
  paymentsProxy = await startHoldingProxy(payments.url);
  health = createServer((req, res) => void res.writeHead(req.url === '/ok' ? 200 : 503).end());
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
  const healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
  makeRepo('web');
  makeRepo('shop');
  deployHook = await startDeployWebhook({
    keys: parseWebhookKeyring(webhookKeys),
    refs: { hooked: { v2: commits['web:v2']! } },
    running: { 'hooked/production': commits['web:v1']! },
  });
  inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
  smtp = await startSmtpHoldProxy(inbox.smtpUrl);

  const address = process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!;
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  setup = prepareWorkerSetup();
  const taskQueue = `seed-${randomUUID()}`;
  env = {
    ...setup.env({
      TEMPORAL_ADDRESS: address,
      GATEHOUSE_TASK_QUEUE: taskQueue,
      SMTP_URL: smtp.smtpUrl,
      GATEHOUSE_MAILDEV_API: inbox.apiBaseUrl,
    }),
    GATEHOUSE_DATABASES: `accounts=${pg.urlOf('accounts')}`,
    GATEHOUSE_ACCESS_SYSTEMS: `warehouse=${pg.urlOf('accounts')}`,
    GATEHOUSE_OUTBOX_DATABASE_URL: pg.urlOf('outbox'),
    GATEHOUSE_TICKETS_URL: ticketProxy.url,
    GATEHOUSE_PAYMENTS_URL: paymentsProxy.url,
    GATEHOUSE_DEPLOY_REPOS: `web=${repos['web']},shop=${repos['shop']}`,
    GATEHOUSE_DEPLOY_HEALTH_URLS: `web=${healthUrl}/ok,shop=${healthUrl}/down`,
    GATEHOUSE_DEPLOY_WEBHOOKS: `hooked=${deployHook.url}`,
    GATEHOUSE_WEBHOOK_KEYS: webhookKeys,
    PATH: `${gitStandIn()}:${process.env['PATH'] ?? ''}`,
  };
  writePolicies();
  gatehouse = await GatehouseClient.connect({ client, taskQueue, agentKey: setup.agentKey });
}, 120_000);

afterAll(async () => {
  rmSync(gitHold, { force: true });
  await Promise.all([...workers].map((w) => w.stop()));
  await connection?.close();
  await Promise.all([
    deployHook?.close(),
    smtp?.close(),
    ticketProxy?.close(),
    paymentsProxy?.close(),
    tickets?.close(),
    payments?.close(),
    inbox?.close(),
  ]);
  await new Promise((r) => (health ? health.close(r) : r(undefined)));
  await accounts?.end();
  await outbox?.end();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const spawn = (): WorkerProcess => {
  const worker = spawnWorker(env);
  workers.add(worker);
  return worker;
};

describe('each seed type across a worker killed mid-commit', () => {
  const runs = new Map<SeedType, { handle: WorkflowHandle; final: ApprovalState; attempts: number }>();
  const suffix = randomUUID().slice(0, 8);
  const ids: Record<SeedType, string> = Object.fromEntries(SEED_TYPES.map((t) => [t, `${t.replace('.', '-')}-${suffix}`])) as Record<
    SeedType,
    string
  >;
  const keyOf = (type: SeedType): string => idempotencyKeyFor(`agent-7:${ids[type]}`, 1);
  const subject = `Your refund ${suffix}`;

  beforeAll(async () => {
    const first = spawn();
    await first.ready;
    // Hold every commit inside its target.
    const rowLock: PoolClient = await accounts.connect();
    await rowLock.query('BEGIN');
    await rowLock.query(`SELECT * FROM accounts WHERE id = 'acct-1' FOR UPDATE`);
    const grantClaim: PoolClient = await accounts.connect();
    await grantClaim.query('BEGIN');
    await grantClaim.query(
      `INSERT INTO gatehouse_access_grants (idempotency_key, role, member, granted) VALUES ($1, 'held', 'held', false)`,
      [keyOf('access.grant')],
    );
    // By its Message-ID: the review mails quote the subject too.
    smtp.holdMessageContaining(messageIdForAction(keyOf('email.send')));
    ticketProxy.holdNext(/^PATCH \/tickets\/OPS-1$/);
    paymentsProxy.holdNext(/^POST \/refunds$/);
    writeFileSync(gitHold, '');

    const handles = await Promise.all([
      start(
        proposal(ids['db.write'], 'db.write', {
          database: 'accounts',
          table: 'accounts',
          operation: 'update',
          key: { id: 'acct-1' },
          values: { note: 'approved' },
          expectedVersion: 1,
        }),
      ),
      start(
        proposal(ids['access.grant'], 'access.grant', {
          system: 'warehouse',
          subject: 'ana',
          role: 'reports_read',
          justification: 'monthly reports',
        }),
      ),
      start(
        proposal(ids['ticket.update'], 'ticket.update', { ticketId: 'OPS-1', fields: { priority: 'P1' }, comment: 'raised by triage' }),
      ),
      start(
        proposal(ids['payment.refund'], 'payment.refund', { customerId: `cus_${suffix}`, amount: 42, currency: 'EUR', reason: 'damaged' }),
      ),
      start(
        proposal(ids['code.deploy'], 'code.deploy', {
          service: 'web',
          environment: 'production',
          ref: 'v2',
          expectedCurrent: commits['web:v1'],
        }),
      ),
      start(
        proposal(ids['email.send'], 'email.send', {
          to: ['jane@example.org'],
          cc: ['case@example.org'],
          replyTo: 'support@example.com',
          subject,
          text: 'It is on its way.',
        }),
      ),
    ]);
    // Every executor is inside its commit: two waiting on a lock, three answers held, git waiting.
    await eventually(
      async () => {
        const waiting = await count(accounts, `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`, []);
        return waiting >= 2 &&
          ticketProxy.held() === 1 &&
          paymentsProxy.held() === 1 &&
          smtp.held() === 1 &&
          existsSync(`${gitHold}.waiting`)
          ? true
          : undefined;
      },
      60_000,
      'every commit inside its target',
    );
    expect(tickets.applied).toBe(1); // the proxy forwarded the write: the effect is made, unheard
    expect(payments.refunds.size).toBe(1);
    await eventually(async () => ((await mails(subject)) === 1 ? true : undefined), 10_000, 'the mail filed by the inbox');
    await first.kill();
    workers.delete(first);
    // Release the targets only now: the dead worker's transactions can never commit.
    for (const held of [rowLock, grantClaim]) {
      await held.query('ROLLBACK');
      held.release();
    }
    rmSync(gitHold);
    spawn();
    const finals = await Promise.all(handles.map((h) => h.result() as Promise<ApprovalState>));
    for (const [i, type] of SEED_TYPES.entries()) {
      runs.set(type, { handle: handles[i]!, final: finals[i]!, attempts: (await commitTries(handles[i]!)).activity });
    }
  }, 150_000);

  it.each(SEED_TYPES)('%s: approved, committed on a second attempt after the kill, verified against the target', (type) => {
    const run = runs.get(type)!;
    expect(run.final.status).toBe('succeeded');
    expect(run.attempts).toBeGreaterThanOrEqual(2);
    expect(run.final.execution?.verification).toMatchObject({ ok: true });
  });

  it('db.write: the row written once', async () => {
    expect((await accounts.query(`SELECT note, version FROM accounts WHERE id = 'acct-1'`)).rows[0]).toEqual({
      note: 'approved',
      version: 2,
    });
    expect(await count(accounts, `SELECT count(*) AS n FROM effects WHERE account_id = 'acct-1'`, [])).toBe(1);
  });

  it('access.grant: the membership granted once', async () => {
    expect((await accounts.query(`SELECT pg_has_role('ana', 'reports_read', 'MEMBER') AS m`)).rows[0].m).toBe(true);
    expect(
      await count(accounts, 'SELECT count(*) AS n FROM gatehouse_access_grants WHERE idempotency_key = $1 AND granted', [
        keyOf('access.grant'),
      ]),
    ).toBe(1);
  });

  it('ticket.update: the update applied once, found by the retry', () => {
    const ticket = tickets.tickets.get('OPS-1')!;
    expect(ticket.fields['priority']).toBe('P1');
    expect(ticket.version).toBe(2);
    expect(ticket.comments.filter((c) => c.idempotencyKey === keyOf('ticket.update'))).toHaveLength(1);
  });

  it('payment.refund: one refund, and the retry found it instead of posting again', () => {
    expect([...payments.refunds.keys()]).toEqual([keyOf('payment.refund')]);
    expect(payments.posts).toEqual([keyOf('payment.refund')]);
  });

  it('code.deploy: the deploy ref moved once, to the approved commit', () => {
    expect(git(repos['web']!, 'rev-parse', 'refs/deploy/production')).toBe(commits['web:v2']);
    expect(git(repos['web']!, 'for-each-ref', '--format=%(refname)', 'refs/gatehouse/deploys').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('email.send: one mail in the mailbox, marked sent in the outbox', async () => {
    expect(await mails(subject)).toBe(1);
    expect(
      (await outbox.query('SELECT status FROM gatehouse_email_outbox WHERE idempotency_key = $1', [keyOf('email.send')])).rows,
    ).toEqual([{ status: 'sent' }]);
  });
});

describe('a reversible seed type whose verification fails is rolled back', () => {
  it('code.deploy: health check down after the move → the ref is moved back to the recorded commit', async () => {
    const handle = await start(
      proposal(`deploy-down-${randomUUID().slice(0, 8)}`, 'code.deploy', {
        service: 'shop',
        environment: 'production',
        ref: 'v2',
        expectedCurrent: commits['shop:v1'],
      }),
    );
    const final = (await handle.result()) as ApprovalState;
    expect(final.execution?.verification).toMatchObject({ ok: false });
    expect(final.transitions.map((t) => t.event)).toContain('rolled_back');
    expect(git(repos['shop']!, 'rev-parse', 'refs/deploy/production')).toBe(commits['shop:v1']);
  }, 60_000);

  it('ticket.update: a read that does not show the update → the previous fields are restored', async () => {
    ticketProxy.staleReadAfter(/^PATCH \/tickets\/OPS-2$/, '/tickets/OPS-2', (body) => ({ ...body, fields: { priority: 'P3' } }));
    const handle = await start(
      proposal(`ticket-stale-${randomUUID().slice(0, 8)}`, 'ticket.update', { ticketId: 'OPS-2', fields: { priority: 'P0' } }),
    );
    const final = (await handle.result()) as ApprovalState;
    expect(final.execution?.verification).toMatchObject({ ok: false });
    expect(final.transitions.map((t) => t.event)).toContain('rolled_back');
    expect(tickets.tickets.get('OPS-2')!.fields['priority']).toBe('P3');
  }, 60_000);
});

describe('code.deploy through a deploy webhook', () => {
  it('deploys a webhook service once, signed, and verifies by reading the deploy status', async () => {
    const handle = await start(
      proposal(`deploy-hook-${randomUUID().slice(0, 8)}`, 'code.deploy', {
        service: 'hooked',
        environment: 'production',
        ref: 'v2',
        commit: commits['web:v2'],
        expectedCurrent: commits['web:v1'],
      }),
    );
    const final = (await handle.result()) as ApprovalState;
    expect(final.status).toBe('succeeded');
    expect(final.execution?.verification).toMatchObject({ ok: true, observed: { status: 'succeeded' } });
    expect(deployHook.running.get('hooked/production')).toBe(commits['web:v2']);
    expect([deployHook.started, deployHook.unsigned]).toEqual([1, 0]);
  }, 60_000);
});
