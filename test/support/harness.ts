/**
 * Everything a workflow test needs against the run's real Temporal server: a client, a worker on
 * a task queue of its own, a real HTTP target, a real SMTP inbox, and a decision signer.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createFileOutbox } from '../../activities/executors/email-outbox';
import { createHttpRequestExecutor } from '../../activities/executors/http-request';
import type { ActionTypeRegistry } from '../../src/actions/registry';
import { HttpRequestParamsSchema } from '../../src/actions/schemas';
import type { AuditLog } from '../../src/audit/chain';
import { anchorAuditLog, createFileCheckpointStore } from '../../src/audit/checkpoint';
import { createFileAuditLog } from '../../src/audit/hash-chain-log';
import { GatehouseClient } from '../../src/client';
import type { RegisteredAgent } from '../../src/domain/agent-auth';
import type { DecisionKind, SignedDecision } from '../../src/domain/decision';
import type { ProposalInput } from '../../src/domain/proposal';
import {
  createBytesSigner,
  createDecisionSigner,
  generateDecisionKeyPair,
  type BytesSigner,
  type DecisionSigner,
} from '../../src/links/decision-signer';
import { decisionThroughLink } from '../../src/links/link-issuer';
import type { OperatorKey } from '../../src/domain/trusted-keys';
import { generateLinkSecret, parseLinkKeyring, type LinkKeyring } from '../../src/links/keyring';
import { startDevInbox } from '../../src/mail/dev-inbox';
import { createMaildevSentIndex } from '../../src/mail/maildev-sent-index';
import { createSmtpMailer, type Mailer } from '../../src/mail/mailer';
import { createLogger } from '../../src/observability/logger';
import { loadPolicyBook, type PolicyBook } from '../../src/policy/load';
import { parseSamplingKey, generateSamplingKeySpec, type SamplingKey } from '../../src/policy/sampling';
import { parseEgressAllowList } from '../../src/egress/allow-list';
import type { Resolver } from '../../src/egress/guarded-fetch';
import { createSlackApi } from '../../src/slack/client';
import { dataConverterFor } from '../../src/temporal/payload-codec';
import { createWorker } from '../../src/worker/create-worker';
import { workerActionTypes, type WorkerActionOptions } from '../../src/worker/action-types';
import { getStateQuery } from '../../workflows/messages';
import { startHttpTarget, type HttpTarget } from './http-target';

export const FIXTURE_POLICIES = resolve(__dirname, '../fixtures/policies');
const TEST_ACTION_TYPES = [
  'test.auto',
  'test.single',
  'test.quorum',
  'test.quorum3',
  'test.dual',
  'test.sequential',
  'test.sla',
  'test.deny',
  'test.edits',
  'test.sampled',
  'test.exception',
  'test.expire_approve',
  'test.verify',
  'test.egress',
  'test.longwait',
  'test.slack',
  'test.slack_critical',
  'test.slack_pair',
  'test.remind_every',
];

/** Agent ids the tests propose as; each is registered with the test agent key and every action type. */
export const TEST_AGENT_IDS = ['agent-7', 'metrics-agent', 'data-agent', 'refund-agent', 'bench-agent'];

/** An agent registry giving `ids` one key and every action type the worker knows. */
export function testAgentRegistry(
  ids: readonly string[],
  publicKeyHex: string,
  keyId: string,
  actionTypes: ReadonlySet<string>,
): Map<string, RegisteredAgent> {
  return new Map(ids.map((id) => [id, { id, name: id, keys: { [keyId]: publicKeyHex }, scope: [...actionTypes] }]));
}

export type DevInbox = Awaited<ReturnType<typeof startDevInbox>>;

export interface Harness {
  client: Client;
  gatehouse: GatehouseClient;
  /** The action types the worker runs (the test types included), for clients of a test's own. */
  actionTypes: ActionTypeRegistry;
  taskQueue: string;
  target: HttpTarget;
  inbox: DevInbox;
  signer: DecisionSigner;
  /** `kid:hex` private keys of operators registered with the worker, by person (GATEHOUSE_OPERATOR_KEY). */
  operatorKeySpecs: Record<string, string>;
  /** The worker's link-grant key: links and direct decisions of the tests are granted with it. */
  grantSigner: BytesSigner;
  /** `kid:hex` of the signer's private key, as GATEHOUSE_DECISION_SIGNING_KEY takes it. */
  signingKeySpec: string;
  /** `kid:hex` of the test agent key (GATEHOUSE_AGENT_KEY); `gatehouse` signs with it. */
  agentKeySpec: string;
  /** The worker's agent registry; every id in {@link TEST_AGENT_IDS} holds the test agent key. Tests may add agents. */
  agents: Map<string, RegisteredAgent>;
  /** Operators' public keys the worker trusts for withdrawals and revisions; tests may add some. */
  operatorKeys: Record<string, { owner: string; publicKeyHex: string }>;
  linkKeyring: LinkKeyring;
  /** The hash-chained audit log this harness's worker writes (keyed, checkpoints beside it). */
  auditLogFile: string;
  /** The HMAC keys of the harness's audit file (GATEHOUSE_AUDIT_KEYS). */
  auditKeyring: LinkKeyring;
  /** The log the worker appends to (the file above unless the options gave another). */
  auditLog: AuditLog;
  /** What `gatehouse audit` needs to read and verify the worker's log: file, audit keys, checkpoint public key. */
  auditEnv: Record<string, string>;
  /** The worker's sampled-mode key: tests compute the expected draws with it. */
  samplingKey: SamplingKey;
  /** Starts the worker; `revokeOperatorKeys` starts it without the operators' keys (as after a revocation). */
  startWorker(options?: WorkerStartOptions): Promise<void>;
  stopWorker(): Promise<void>;
  /** A proposal of `actionType` whose commit posts to the HTTP target. */
  proposal(actionType: string, overrides?: Partial<ProposalInput>): ProposalInput;
  /** A decision through a freshly granted link, signed by the decision service for the run's current round and params. */
  decision(
    workflowId: string,
    reviewer: { id: string; role: string },
    kind: DecisionKind,
    extra?: Partial<SignedDecision['payload']>,
  ): Promise<SignedDecision>;
  close(): Promise<void>;
}

/** How one start of the harness's worker differs from the default (a key rotated or revoked, say). */
export interface WorkerStartOptions {
  revokeOperatorKeys?: boolean;
  /** The worker grants its links with this key instead of the harness's `grantSigner`. */
  grantSigner?: BytesSigner;
  /** More grant public keys the worker trusts (GATEHOUSE_LINK_GRANT_PUBLIC_KEYS). */
  grantPublicKeys?: Record<string, string>;
  /** The worker's agent registry instead of the harness's `agents`. */
  agents?: Map<string, RegisteredAgent>;
  /** Auto-approved commits inside workflow tasks at once (GATEHOUSE_WORKER_LOCAL_COMMITS). */
  localCommits?: number;
}

export interface HarnessOptions {
  /** `kid:base64,…`: encrypt payloads with the AES-GCM codec in client and worker. */
  payloadKeys?: string;
  /** Payments API for the real payment.refund executor. */
  paymentsUrl?: string;
  /** PostgreSQL pools for the real db.write executor. */
  databases?: Record<string, Pool>;
  /**
   * GATEHOUSE_EGRESS_ALLOW of the worker. Default `127.0.0.1`: the test targets listen on
   * loopback, which the allow-list refuses unless it is named.
   */
  egressAllow?: string;
  /** Stands in for DNS in the egress check (a name that resolves to loopback, say). */
  egressResolve?: Resolver;
  /** GATEHOUSE_SAMPLING_KEY of the worker; a fresh one when absent. */
  samplingKey?: string;
  /** A Temporal server of the test's own (default: the suite's). */
  address?: string;
  /** The worker mails through this SMTP server (without a sent-mail index) instead of the harness's inbox. */
  smtpUrl?: string;
  /** Outcome webhooks: `kid:secret` keys and the allow-list (GATEHOUSE_WEBHOOK_KEYS, GATEHOUSE_WEBHOOK_ALLOW). */
  webhooks?: { keys: string; allow?: string };
  /** Any other executor configuration, passed to workerActionTypes as is. */
  actions?: WorkerActionOptions;
  /** The worker posts Slack cards through this Slack-compatible API (e.g. the fake's `apiUrl`). */
  slackApiUrl?: string;
  /** Registers more action types (MCP tools, say) before the policy book and agent registry are built. */
  registerActionTypes?: (registry: ActionTypeRegistry) => void;
  /** Completes the fixtures' policy book (defaults for MCP tools, say). */
  extendPolicyBook?: (book: PolicyBook) => PolicyBook;
  /** The worker appends its audit entries here instead of the harness's keyed, anchored file. */
  auditLog?: AuditLog;
}

/** People of the fixture directory who also hold an operator key. */
const TEST_OPERATORS = ['alice', 'bob', 'dave'] as const;

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const address = options.address ?? process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS'];
  const bundlePath = process.env['GATEHOUSE_TEST_WORKFLOW_BUNDLE'];
  if (!address || !bundlePath) throw new Error('the jest global setup did not start Temporal');
  installQuietRuntime();
  const connection = await Connection.connect({ address });
  const dataConverter = dataConverterFor(options.payloadKeys);
  const client = new Client({ connection, dataConverter });
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = `test-${randomUUID()}`;
  const target = await startHttpTarget();
  const inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
  const keys = generateDecisionKeyPair();
  const agentKeys = generateDecisionKeyPair();
  const agentKeySpec = `agent-test:${agentKeys.privateKeyHex}`;
  const signer = createDecisionSigner({ keyId: 'test', privateKeyHex: keys.privateKeyHex });
  const operatorKeySpecs: Record<string, string> = {};
  const operatorKeys: Record<string, OperatorKey> = {};
  for (const person of TEST_OPERATORS) {
    const pair = generateDecisionKeyPair();
    operatorKeySpecs[person] = `op-${person}:${pair.privateKeyHex}`;
    operatorKeys[`op-${person}`] = { owner: person, publicKeyHex: pair.publicKeyHex };
  }
  const grantSigner = createBytesSigner({ keyId: 'grant', privateKeyHex: generateDecisionKeyPair().privateKeyHex });
  const linkKeyring = parseLinkKeyring(`k1:${generateLinkSecret()}`);
  const sentIndex = createMaildevSentIndex(inbox.apiBaseUrl);
  const mailer: Mailer = options.smtpUrl
    ? createSmtpMailer({ smtpUrl: options.smtpUrl, from: 'Gatehouse <gatehouse@test.example>' })
    : createSmtpMailer({ smtpUrl: inbox.smtpUrl, from: 'Gatehouse <gatehouse@test.example>', sentIndex });
  const logger = createLogger({ level: 'silent' });
  const auditLogFile = join(mkdtempSync(join(tmpdir(), 'gatehouse-audit-')), 'audit.jsonl');
  const samplingKey = parseSamplingKey(options.samplingKey ?? generateSamplingKeySpec('t1'));
  const auditKeys = `a1:${generateLinkSecret()}`;
  const checkpointKey = generateDecisionKeyPair();
  const auditLog =
    options.auditLog ??
    anchorAuditLog(createFileAuditLog(auditLogFile, parseLinkKeyring(auditKeys)), {
      signer: createBytesSigner({ keyId: 'c1', privateKeyHex: checkpointKey.privateKeyHex }),
      store: createFileCheckpointStore(`${auditLogFile}.checkpoints`),
    });

  const actionTypes = workerActionTypes(mailer, {
    sentIndex,
    emailOutbox: createFileOutbox(join(dirname(auditLogFile), 'email-outbox.jsonl')),
    ...options.actions,
    ...(options.databases ? { databases: options.databases } : {}),
    ...(options.paymentsUrl ? { paymentsUrl: options.paymentsUrl } : {}),
  });
  for (const name of TEST_ACTION_TYPES) {
    actionTypes.register({
      name,
      paramsSchema: HttpRequestParamsSchema,
      executor: createHttpRequestExecutor(),
    });
  }
  options.registerActionTypes?.(actionTypes);
  const fixturePolicies = loadPolicyBook(FIXTURE_POLICIES, resolve(FIXTURE_POLICIES, 'reviewers.yaml'), actionTypes.names());
  const policyBook = options.extendPolicyBook ? options.extendPolicyBook(fixturePolicies) : fixturePolicies;
  const agents = testAgentRegistry(TEST_AGENT_IDS, agentKeys.publicKeyHex, 'agent-test', actionTypes.names());

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  const harness: Harness = {
    client,
    gatehouse: await GatehouseClient.connect({ client, taskQueue, actionTypes, agentKey: agentKeySpec }),
    actionTypes,
    taskQueue,
    target,
    inbox,
    signer,
    grantSigner,
    operatorKeySpecs,
    signingKeySpec: `test:${keys.privateKeyHex}`,
    agentKeySpec,
    agents,
    operatorKeys,
    linkKeyring,
    auditLogFile,
    auditLog,
    auditKeyring: parseLinkKeyring(auditKeys),
    auditEnv: {
      GATEHOUSE_AUDIT_LOG: auditLogFile,
      GATEHOUSE_AUDIT_KEYS: auditKeys,
      GATEHOUSE_AUDIT_CHECKPOINT_PUBLIC_KEYS: `c1:${checkpointKey.publicKeyHex}`,
    },
    samplingKey,
    async startWorker(startOptions = {}) {
      worker = await createWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        workflowBundle: { codePath: bundlePath },
        policyBook,
        actionTypes,
        decisionKeys: { test: keys.publicKeyHex },
        grantSigner: startOptions.grantSigner ?? grantSigner,
        ...(startOptions.grantPublicKeys ? { grantPublicKeys: startOptions.grantPublicKeys } : {}),
        agents: startOptions.agents ?? agents,
        ...(startOptions.localCommits !== undefined ? { localCommits: startOptions.localCommits } : {}),
        operatorKeys: startOptions.revokeOperatorKeys ? {} : operatorKeys,
        mailer,
        linkKeyring,
        publicUrl: 'http://127.0.0.1:9/',
        linkTtlMs: 3_600_000,
        ...(options.slackApiUrl
          ? { slack: { api: createSlackApi({ botToken: 'xoxb-test', apiUrl: options.slackApiUrl }), people: policyBook.directory.people } }
          : {}),
        auditLog,
        samplingKey,
        egress: {
          allow: parseEgressAllowList(options.egressAllow ?? '127.0.0.1'),
          ...(options.egressResolve ? { resolve: options.egressResolve } : {}),
        },
        ...(options.webhooks
          ? {
              webhooks: {
                keys: parseLinkKeyring(options.webhooks.keys),
                allow: parseEgressAllowList(options.webhooks.allow ?? '127.0.0.1'),
              },
            }
          : {}),
        dataConverter,
        logger,
        tuning: { shutdownGraceTime: '1 second', shutdownForceTime: '3 seconds' },
      });
      running = worker.run();
    },
    async stopWorker() {
      if (!worker) return;
      worker.shutdown();
      await running;
      worker = undefined;
    },
    proposal(actionType, overrides = {}) {
      const id = `p-${randomUUID()}`;
      return {
        id,
        actionType,
        params: {
          method: 'POST',
          url: `${target.url}/effects/${id}`,
          body: { amount: 42 },
          verify: { url: `${target.url}/check/${id}` },
        },
        agent: { id: 'agent-7', name: 'Refund agent' },
        requestedBy: { id: 'peter', name: 'Peter Principal' },
        summary: `Test action ${id}`,
        evidence: { rationale: 'because the test says so', confidence: 0.9 },
        ...overrides,
      };
    },
    async decision(workflowId, reviewer, kind, extra = {}) {
      const state = await client.workflow.getHandle(workflowId).query(getStateQuery);
      const payload = {
        nonce: randomUUID(),
        workflowId,
        round: state.round,
        reviewer,
        kind,
        paramsHash: state.paramsHash,
        decidedAt: new Date().toISOString(),
        ...(kind === 'reject' ? { comment: 'not like this' } : {}),
        ...extra,
      };
      // A test that sets the credential itself (an operator's key, a forged grant) signs as it says.
      return payload.channel ? signer.sign({ channel: payload.channel, ...payload }) : decisionThroughLink(payload, signer, grantSigner);
    },
    async close() {
      await harness.stopWorker();
      await nativeConnection.close();
      await connection.close();
      await mailer.close();
      await inbox.close();
      await target.close();
    },
  };
  return harness;
}

/** Polls `probe` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** Worker INFO lines drown test output; warnings and errors still show. */
function installQuietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed in this process by an earlier test file
  }
}
