#!/usr/bin/env node
/**
 * Worker process: runs approval workflows and their activities on one task queue. Start more of
 * them to scale out. A broken policy file or configuration stops it before it polls anything.
 */
import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ActionTypeRegistrationError } from '../actions/registry';
import { auditLogFromConfig } from '../audit/from-config';
import { ConfigError, loadConfig, localCommitsFor } from '../config/env';
import { DecisionKeyError, parseDecisionPublicKeys, parseOperatorKeys } from '../links/decision-signer';
import { parseLinkGrantKeys } from '../links/grant-keys';
import { entryForOrigin, mergeAllowLists } from '../egress/allow-list';
import { LinkKeyringError, parseLinkKeyring } from '../links/keyring';
import { createMaildevSentIndex } from '../mail/maildev-sent-index';
import { createSmtpMailer } from '../mail/mailer';
import { McpCatalogError } from '../mcp/catalog';
import { loadMcpGatewayConfig, McpConfigError } from '../mcp/config';
import { DownstreamError } from '../mcp/downstream';
import { createPostgresCallStore } from '../mcp/call-store';
import { startMcpWorkerSide } from '../mcp/start';
import { createLogger } from '../observability/logger';
import { loadAgentRegistry } from '../policy/agents';
import { loadPolicyBook, PolicyLoadError } from '../policy/load';
import { ephemeralSamplingKey, parseSamplingKey, SamplingKeyError } from '../policy/sampling';
import { connectionOptions } from '../temporal/connection';
import { dataConverterFor, PayloadKeyError } from '../temporal/payload-codec';
import { createAccessGrantExecutor } from '../../activities/executors/access-grant';
import { createDbWritePools } from '../../activities/executors/db-write';
import { createFileOutbox, createPostgresOutbox } from '../../activities/executors/email-outbox';
import { workerActionTypes } from './action-types';
import { loadActionModules } from './action-modules';
import { createSlackApi } from '../slack/client';
import { createWorker } from './create-worker';
import { startAuditUpkeep } from './audit-upkeep';
import { startGrantExpirySweep } from './grant-expiry';
import { installRuntime } from './runtime';
import { startHealthServer } from './health-server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'gatehouse-worker' });
  const required = [
    'GATEHOUSE_DECISION_PUBLIC_KEYS',
    'GATEHOUSE_LINK_KEYS',
    'GATEHOUSE_LINK_GRANT_KEY',
    'SMTP_URL',
    // An unkeyed, unanchored audit log can be edited without a trace: production does not run one.
    ...(config.GATEHOUSE_MODE === 'production'
      ? ['GATEHOUSE_OUTBOX_DATABASE_URL', 'GATEHOUSE_AUDIT_KEYS', 'GATEHOUSE_AUDIT_CHECKPOINT_KEY']
      : []),
    // Several production workers share the MCP call record: a file would let two of them call a tool twice.
    ...(config.GATEHOUSE_MODE === 'production' && config.GATEHOUSE_MCP_CONFIG ? ['GATEHOUSE_MCP_CALLS_DATABASE_URL'] : []),
  ];
  const missing = required.filter((k) => !config[k as keyof typeof config]);
  if (
    missing.length > 0 ||
    !config.GATEHOUSE_DECISION_PUBLIC_KEYS ||
    !config.GATEHOUSE_LINK_KEYS ||
    !config.GATEHOUSE_LINK_GRANT_KEY ||
    !config.SMTP_URL
  ) {
    throw new ConfigError(
      missing.map((k) => `${k}: is required by the worker (./temporal-dev.sh writes dev values to .gatehouse/dev.env)`),
    );
  }
  if (Object.keys(config.GATEHOUSE_DEPLOY_WEBHOOKS).length > 0 && !config.GATEHOUSE_WEBHOOK_KEYS) {
    throw new ConfigError(['GATEHOUSE_DEPLOY_WEBHOOKS: deploy requests are signed: set GATEHOUSE_WEBHOOK_KEYS too']);
  }
  // Parsed before anything connects: a bad key list stops the worker with the variable named.
  const grantKeys = parseLinkGrantKeys(config.GATEHOUSE_LINK_GRANT_KEY, config.GATEHOUSE_LINK_GRANT_PUBLIC_KEYS);
  const sentIndex = config.GATEHOUSE_MAILDEV_API ? createMaildevSentIndex(config.GATEHOUSE_MAILDEV_API) : undefined;
  const mailer = createSmtpMailer({ smtpUrl: config.SMTP_URL, from: config.GATEHOUSE_MAIL_FROM, ...(sentIndex ? { sentIndex } : {}) });
  const databases = createDbWritePools(config.GATEHOUSE_DATABASES, logger);
  // The same pool factory: admin connections to each access system, idle errors logged.
  const accessSystems = createDbWritePools(config.GATEHOUSE_ACCESS_SYSTEMS, logger);
  const outboxPools = createDbWritePools(
    {
      ...(config.GATEHOUSE_OUTBOX_DATABASE_URL ? { outbox: config.GATEHOUSE_OUTBOX_DATABASE_URL } : {}),
      ...(config.GATEHOUSE_MCP_CALLS_DATABASE_URL ? { mcpCalls: config.GATEHOUSE_MCP_CALLS_DATABASE_URL } : {}),
    },
    logger,
  );
  // A file outbox serves one dev worker; production has required the database above.
  const emailOutbox = outboxPools['outbox']
    ? createPostgresOutbox(outboxPools['outbox'])
    : createFileOutbox(config.GATEHOUSE_EMAIL_OUTBOX_FILE);
  const actionTypes = workerActionTypes(mailer, {
    emailOutbox,
    emailOnUncertain: config.GATEHOUSE_EMAIL_ON_UNCERTAIN,
    databases,
    accessSystems,
    ...(config.GATEHOUSE_PAYMENTS_URL ? { paymentsUrl: config.GATEHOUSE_PAYMENTS_URL } : {}),
    deploy: { repos: config.GATEHOUSE_DEPLOY_REPOS, healthUrls: config.GATEHOUSE_DEPLOY_HEALTH_URLS },
    ...(config.GATEHOUSE_WEBHOOK_KEYS
      ? { deployWebhooks: { hooks: config.GATEHOUSE_DEPLOY_WEBHOOKS, keys: config.GATEHOUSE_WEBHOOK_KEYS } }
      : {}),
    ...(config.GATEHOUSE_TICKETS_URL
      ? {
          tickets: {
            baseUrl: config.GATEHOUSE_TICKETS_URL,
            ...(config.GATEHOUSE_TICKETS_AUTHORIZATION ? { authorization: config.GATEHOUSE_TICKETS_AUTHORIZATION } : {}),
          },
        }
      : {}),
    ...(sentIndex ? { sentIndex } : {}),
    ...(config.GATEHOUSE_MODE === 'dev' && config.GATEHOUSE_SANDBOX_LEDGER ? { sandboxLedger: config.GATEHOUSE_SANDBOX_LEDGER } : {}),
  });
  const ownTypes = loadActionModules(config.GATEHOUSE_ACTION_MODULES, actionTypes);
  if (ownTypes.length > 0) logger.info({ actionTypes: ownTypes }, 'action types loaded from GATEHOUSE_ACTION_MODULES');
  // The MCP gateway's tools are action types too: listed from the same downstream servers at start.
  const mcpCallsPool = outboxPools['mcpCalls'];
  const mcp = config.GATEHOUSE_MCP_CONFIG
    ? await startMcpWorkerSide(
        loadMcpGatewayConfig(config.GATEHOUSE_MCP_CONFIG),
        mcpCallsPool ? { store: createPostgresCallStore(mcpCallsPool) } : {},
      )
    : undefined;
  mcp?.register(actionTypes);
  if (mcp) logger.info({ actionTypes: mcp.catalog.tools.map((t) => t.actionType) }, 'MCP tools registered');
  const filePolicies = loadPolicyBook(config.GATEHOUSE_POLICIES_DIR, config.GATEHOUSE_REVIEWERS_FILE, actionTypes.names(), [
    config.GATEHOUSE_AGENTS_FILE,
  ]);
  const policyBook = mcp ? mcp.policies(filePolicies) : filePolicies;
  // Fail closed: in production a policy whose action type nothing can execute would let reviewers
  // approve runs that can only fail at their commit.
  const unexecutable = [...policyBook.policies.values()].filter((p) => !actionTypes.get(p.policy.actionType)?.executor);
  if (config.GATEHOUSE_MODE === 'production' && unexecutable.length > 0) {
    throw new ConfigError(
      unexecutable.map(
        (p) =>
          `${p.file}: action type "${p.policy.actionType}" has no executor on this worker (configure its target, or remove the policy)`,
      ),
    );
  }
  if (!existsSync(config.GATEHOUSE_AGENTS_FILE)) {
    throw new ConfigError([
      `GATEHOUSE_AGENTS_FILE: ${config.GATEHOUSE_AGENTS_FILE} does not exist; it lists the agents that may propose, their keys and scope (./temporal-dev.sh writes a dev registry to .gatehouse/agents.yaml)`,
    ]);
  }
  const agents = loadAgentRegistry(config.GATEHOUSE_AGENTS_FILE, actionTypes.names());
  logger.info(
    { policies: [...policyBook.policies.values()].map((p) => p.version), agents: [...agents.keys()] },
    'policies and agents loaded',
  );

  // The payments API is the operator's own choice of destination: its origin needs no second entry.
  // Targets the operator configured (not ones a proposal names) are allowed as they are written.
  const configuredTargets = [
    config.GATEHOUSE_PAYMENTS_URL,
    config.GATEHOUSE_TICKETS_URL,
    ...Object.values(config.GATEHOUSE_DEPLOY_HEALTH_URLS),
    ...Object.values(config.GATEHOUSE_DEPLOY_WEBHOOKS),
  ];
  const egressAllow = mergeAllowLists(config.GATEHOUSE_EGRESS_ALLOW, {
    entries: configuredTargets.filter((url): url is string => url !== undefined).map(entryForOrigin),
  });
  logger.info({ egressAllow: egressAllow.entries.map((e) => e.text) }, 'egress allow-list');
  // Production requires the key (config); a dev worker without one keys its draws for itself alone.
  const samplingKey = config.GATEHOUSE_SAMPLING_KEY ? parseSamplingKey(config.GATEHOUSE_SAMPLING_KEY) : ephemeralSamplingKey();
  if (!config.GATEHOUSE_SAMPLING_KEY) logger.warn('GATEHOUSE_SAMPLING_KEY is not set: sampled-mode draws use a key of this process only');
  const auditLog = auditLogFromConfig(config);
  if (!config.GATEHOUSE_AUDIT_KEYS || !config.GATEHOUSE_AUDIT_CHECKPOINT_KEY)
    logger.warn('GATEHOUSE_AUDIT_KEYS or GATEHOUSE_AUDIT_CHECKPOINT_KEY is not set: the audit log is not keyed or not anchored');
  installRuntime(logger, { metricsAddress: config.GATEHOUSE_METRICS_ADDRESS });
  const connection = await NativeConnection.connect(connectionOptions(config));
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.GATEHOUSE_TASK_QUEUE,
    policyBook,
    actionTypes,
    decisionKeys: parseDecisionPublicKeys(config.GATEHOUSE_DECISION_PUBLIC_KEYS),
    operatorKeys: parseOperatorKeys(config.GATEHOUSE_OPERATOR_KEYS),
    // The signing key grants this worker's links; runs trust every listed grant key (rotation).
    grantSigner: grantKeys.signer,
    grantPublicKeys: grantKeys.trusted,
    agents,
    mailer,
    linkKeyring: parseLinkKeyring(config.GATEHOUSE_LINK_KEYS),
    publicUrl: config.GATEHOUSE_PUBLIC_URL,
    linkTtlMs: config.GATEHOUSE_LINK_TTL_HOURS * 3_600_000,
    ...(config.GATEHOUSE_SLACK_BOT_TOKEN
      ? {
          slack: {
            api: createSlackApi({ botToken: config.GATEHOUSE_SLACK_BOT_TOKEN, apiUrl: config.GATEHOUSE_SLACK_API_URL }),
            people: policyBook.directory.people,
          },
        }
      : {}),
    auditLog,
    egress: { allow: egressAllow },
    webhooks: {
      allow: config.GATEHOUSE_WEBHOOK_ALLOW,
      ...(config.GATEHOUSE_WEBHOOK_KEYS ? { keys: config.GATEHOUSE_WEBHOOK_KEYS } : {}),
    },
    samplingKey,
    localCommits: config.GATEHOUSE_WORKER_LOCAL_COMMITS ?? localCommitsFor(config.GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS),
    dataConverter: dataConverterFor(config.GATEHOUSE_PAYLOAD_KEYS),
    logger,
    tuning: {
      maxCachedWorkflows: config.GATEHOUSE_WORKER_CACHED_RUNS,
      maxConcurrentWorkflowTaskExecutions: config.GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS,
      maxConcurrentActivityTaskExecutions: config.GATEHOUSE_WORKER_ACTIVITY_SLOTS,
      // SIGTERM is handled by the Temporal runtime (its default shutdown signals): it stops polling,
      // lets activities in flight run this long, then cancels them so another worker retries them.
      shutdownGraceTime: config.GATEHOUSE_WORKER_SHUTDOWN_GRACE_MS,
      shutdownForceTime: config.GATEHOUSE_WORKER_SHUTDOWN_GRACE_MS + 10_000,
    },
  });
  const health = config.GATEHOUSE_WORKER_HEALTH_ADDRESS
    ? await startHealthServer(config.GATEHOUSE_WORKER_HEALTH_ADDRESS, () => worker.getState())
    : undefined;
  if (health) logger.info({ port: health.port }, 'worker probes listening (/healthz, /readyz)');
  logger.info({ taskQueue: config.GATEHOUSE_TASK_QUEUE, address: config.TEMPORAL_ADDRESS }, 'worker started');
  const auditClient = new Client({
    connection: await Connection.connect(connectionOptions(config)),
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: dataConverterFor(config.GATEHOUSE_PAYLOAD_KEYS),
  });
  const stopAuditUpkeep = startAuditUpkeep({
    log: auditLog,
    client: auditClient,
    taskQueue: config.GATEHOUSE_TASK_QUEUE,
    logger,
    checkpointIntervalMs: config.GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL_MS,
    sweepIntervalMs: config.GATEHOUSE_AUDIT_SWEEP_INTERVAL_MS,
  });
  const stopSweep =
    Object.keys(accessSystems).length > 0
      ? startGrantExpirySweep(createAccessGrantExecutor({ systems: accessSystems }), logger)
      : () => undefined;
  try {
    await worker.run();
  } finally {
    await health?.close();
    stopSweep();
    stopAuditUpkeep();
    await auditClient.connection.close();
    await mcp?.close();
    await connection.close();
    await mailer.close();
    await Promise.all(
      [...Object.values(databases), ...Object.values(accessSystems), ...Object.values(outboxPools)].map((pool) => pool.end()),
    );
    await auditLog.close?.();
    logger.info('worker stopped');
  }
}

main().catch((err: unknown) => {
  // Start-up problems are for a human: print them plainly, then exit non-zero.
  if (
    err instanceof ConfigError ||
    err instanceof ActionTypeRegistrationError ||
    err instanceof PolicyLoadError ||
    err instanceof PayloadKeyError ||
    err instanceof LinkKeyringError ||
    err instanceof DecisionKeyError ||
    err instanceof SamplingKeyError ||
    err instanceof McpConfigError ||
    err instanceof McpCatalogError ||
    err instanceof DownstreamError
  ) {
    process.stderr.write(`gatehouse worker: ${err.message}\n`);
  } else {
    process.stderr.write(`gatehouse worker failed: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});
