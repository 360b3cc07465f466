#!/usr/bin/env node
/**
 * Worker process: runs approval workflows and their activities on one task queue. Start more of
 * them to scale out. A broken policy file or configuration stops it before it polls anything.
 */
import { existsSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { auditLogFromConfig } from '../audit/from-config';
import { ConfigError, loadConfig } from '../config/env';
import { DecisionKeyError, parseDecisionPublicKeys } from '../links/decision-signer';
import { LinkKeyringError, parseLinkKeyring } from '../links/keyring';
import { createMaildevSentIndex } from '../mail/maildev-sent-index';
import { createSmtpMailer } from '../mail/mailer';
import { createLogger } from '../observability/logger';
import { loadAgentRegistry } from '../policy/agents';
import { loadPolicyBook, PolicyLoadError } from '../policy/load';
import { connectionOptions } from '../temporal/connection';
import { dataConverterFor, PayloadKeyError } from '../temporal/payload-codec';
import { createDbWritePools } from '../../activities/executors/db-write';
import { workerActionTypes } from './action-types';
import { createWorker } from './create-worker';
import { installRuntime } from './runtime';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'gatehouse-worker' });
  if (!config.GATEHOUSE_DECISION_PUBLIC_KEYS || !config.GATEHOUSE_LINK_KEYS || !config.SMTP_URL) {
    throw new ConfigError(
      ['GATEHOUSE_DECISION_PUBLIC_KEYS', 'GATEHOUSE_LINK_KEYS', 'SMTP_URL']
        .filter((k) => !config[k as keyof typeof config])
        .map((k) => `${k}: is required by the worker (./temporal-dev.sh writes dev values to .gatehouse/dev.env)`),
    );
  }
  const sentIndex = config.GATEHOUSE_MAILDEV_API ? createMaildevSentIndex(config.GATEHOUSE_MAILDEV_API) : undefined;
  const mailer = createSmtpMailer({ smtpUrl: config.SMTP_URL, from: config.GATEHOUSE_MAIL_FROM, ...(sentIndex ? { sentIndex } : {}) });
  const databases = createDbWritePools(config.GATEHOUSE_DATABASES, logger);
  const actionTypes = workerActionTypes(mailer, {
    databases,
    ...(config.GATEHOUSE_PAYMENTS_URL ? { paymentsUrl: config.GATEHOUSE_PAYMENTS_URL } : {}),
    ...(sentIndex ? { sentIndex } : {}),
    ...(config.GATEHOUSE_MODE === 'dev' ? { sandboxLedger: config.GATEHOUSE_SANDBOX_LEDGER } : {}),
  });
  const policyBook = loadPolicyBook(config.GATEHOUSE_POLICIES_DIR, config.GATEHOUSE_REVIEWERS_FILE, actionTypes.names(), [config.GATEHOUSE_AGENTS_FILE]);
  if (!existsSync(config.GATEHOUSE_AGENTS_FILE)) {
    throw new ConfigError([
      `GATEHOUSE_AGENTS_FILE: ${config.GATEHOUSE_AGENTS_FILE} does not exist; it lists the agents that may propose, their keys and scope (./temporal-dev.sh writes a dev registry to .gatehouse/agents.yaml)`,
    ]);
  }
  const agents = loadAgentRegistry(config.GATEHOUSE_AGENTS_FILE, actionTypes.names());
  logger.info({ policies: [...policyBook.policies.values()].map((p) => p.version), agents: [...agents.keys()] }, 'policies and agents loaded');

  const auditLog = auditLogFromConfig(config);
  installRuntime(logger, { metricsAddress: config.GATEHOUSE_METRICS_ADDRESS });
  const connection = await NativeConnection.connect(connectionOptions(config));
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.GATEHOUSE_TASK_QUEUE,
    policyBook,
    actionTypes,
    decisionKeys: parseDecisionPublicKeys(config.GATEHOUSE_DECISION_PUBLIC_KEYS),
    agents,
    mailer,
    linkKeyring: parseLinkKeyring(config.GATEHOUSE_LINK_KEYS),
    publicUrl: config.GATEHOUSE_PUBLIC_URL,
    linkTtlMs: config.GATEHOUSE_LINK_TTL_HOURS * 3_600_000,
    auditLog,
    dataConverter: dataConverterFor(config.GATEHOUSE_PAYLOAD_KEYS),
    logger,
    tuning: {
      maxCachedWorkflows: config.GATEHOUSE_WORKER_CACHED_RUNS,
      maxConcurrentWorkflowTaskExecutions: config.GATEHOUSE_WORKER_WORKFLOW_TASK_SLOTS,
      maxConcurrentActivityTaskExecutions: config.GATEHOUSE_WORKER_ACTIVITY_SLOTS,
    },
  });
  logger.info({ taskQueue: config.GATEHOUSE_TASK_QUEUE, address: config.TEMPORAL_ADDRESS }, 'worker started');
  try {
    await worker.run();
  } finally {
    await connection.close();
    await mailer.close();
    await Promise.all(Object.values(databases).map((pool) => pool.end()));
    await auditLog.close?.();
  }
}

main().catch((err: unknown) => {
  // Start-up problems are for a human: print them plainly, then exit non-zero.
  if (err instanceof ConfigError || err instanceof PolicyLoadError || err instanceof PayloadKeyError || err instanceof LinkKeyringError || err instanceof DecisionKeyError) {
    process.stderr.write(`gatehouse worker: ${err.message}\n`);
  } else {
    process.stderr.write(`gatehouse worker failed: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});
