#!/usr/bin/env node
/**
 * Decision service process: serves reviewer pages, the JSON API and health probes. Stateless, so
 * run as many as you like behind a load balancer. A configuration problem stops it before it
 * listens, with every problem listed.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadConfig, type Config } from '../config/env';
import { createDecisionSigner, DecisionKeyError, parseDecisionSigningKey, type DecisionSigner } from '../links/decision-signer';
import { LinkKeyringError, parseLinkKeyring, type LinkKeyring } from '../links/keyring';
import { createLogger } from '../observability/logger';
import { connectionOptions } from '../temporal/connection';
import { loadRedactions, loadReviewerDirectory } from '../policy/load';
import { createSlackApi } from '../slack/client';
import { createReplayCache } from '../slack/replay-cache';
import { dataConverterFor } from '../temporal/payload-codec';
import { createApp } from './app';

/** In-flight requests get this long to finish on shutdown; a decision POST waits at most ~5 s. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'gatehouse-http' });
  const { linkKeyring, signer } = loadKeys(config);

  // Lazy: the service starts (and answers /healthz) while Temporal is still coming up; /readyz
  // says 503 until it is reachable, and the first request connects.
  const connection = Connection.lazy(connectionOptions(config));
  const dataConverter = dataConverterFor(config.GATEHOUSE_PAYLOAD_KEYS);
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
  const codec = dataConverter.payloadCodecs?.[0];
  let stopping = false;
  const app = createApp({
    client,
    draining: () => stopping,
    linkKeyring,
    signer,
    logger,
    publicUrl: config.GATEHOUSE_PUBLIC_URL,
    decisionTimeoutMs: config.GATEHOUSE_DECISION_TIMEOUT_MS,
    queryTimeoutMs: config.GATEHOUSE_DECISION_TIMEOUT_MS,
    rateLimit: { windowMs: 60_000, limit: config.GATEHOUSE_HTTP_RATE_LIMIT_PER_MINUTE },
    ...(config.GATEHOUSE_TRUST_PROXY ? { trustProxy: config.GATEHOUSE_TRUST_PROXY } : {}),
    // Slack's endpoint exists only with both secrets: without the signing secret nothing could be verified.
    ...(config.GATEHOUSE_SLACK_SIGNING_SECRET && config.GATEHOUSE_SLACK_BOT_TOKEN
      ? {
          slack: {
            signingSecret: config.GATEHOUSE_SLACK_SIGNING_SECRET,
            api: createSlackApi({ botToken: config.GATEHOUSE_SLACK_BOT_TOKEN, apiUrl: config.GATEHOUSE_SLACK_API_URL }),
            people: loadReviewerDirectory(config.GATEHOUSE_REVIEWERS_FILE).people,
            replayCache: createReplayCache(),
          },
        }
      : {}),
    ...(codec
      ? {
          codec: {
            codec,
            corsOrigin: config.GATEHOUSE_CODEC_CORS_ORIGIN,
            redactions: loadRedactions(config.GATEHOUSE_POLICIES_DIR),
            ...(config.GATEHOUSE_CODEC_TOKEN ? { token: config.GATEHOUSE_CODEC_TOKEN } : {}),
          },
        }
      : {}),
  });

  const server = await listen(app, config.GATEHOUSE_HTTP_PORT, config.GATEHOUSE_HTTP_HOST);
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  logger.info(
    { url: `http://${host}:${port}/`, publicUrl: config.GATEHOUSE_PUBLIC_URL, namespace: config.TEMPORAL_NAMESPACE },
    'decision service listening',
  );

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    // Readiness turns false at once; the listener stays open for the drain delay so that the load
    // balancer sees the 503 and stops sending here before new connections would be refused.
    stopping = true;
    logger.info({ signal, drainDelayMs: config.GATEHOUSE_HTTP_DRAIN_DELAY_MS }, 'shutting down: /readyz is 503');
    setTimeout(() => closeServer(), config.GATEHOUSE_HTTP_DRAIN_DELAY_MS);
  };
  const closeServer = () => {
    logger.info('no longer accepting connections; finishing in-flight requests');
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      connection
        .close()
        .catch((err: unknown) => logger.warn({ err: (err as Error)?.message }, 'closing the Temporal connection failed'))
        .finally(() => {
          logger.info('stopped');
          process.exit(0);
        });
    });
    // Keep-alive connections would hold close() open until they time out.
    server.closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * The link keyring and the decision signer, both required: without them no link can be verified
 * and no decision signed. Key lengths are checked by the parsers (32-byte HMAC secrets, 32-byte
 * Ed25519 seeds); every problem is reported at once.
 *
 * @throws {@link ConfigError} listing every missing or unusable key.
 */
function loadKeys(config: Config): { linkKeyring: LinkKeyring; signer: DecisionSigner } {
  const problems: string[] = [];
  const hint = config.GATEHOUSE_MODE === 'production' ? '' : ' (./temporal-dev.sh writes dev values to .gatehouse/dev.env)';
  let linkKeyring: LinkKeyring | undefined;
  let signer: DecisionSigner | undefined;
  if (!config.GATEHOUSE_LINK_KEYS) {
    problems.push(`GATEHOUSE_LINK_KEYS: is required by the decision service${hint}`);
  } else {
    try {
      linkKeyring = parseLinkKeyring(config.GATEHOUSE_LINK_KEYS);
    } catch (err) {
      if (!(err instanceof LinkKeyringError)) throw err;
      problems.push(`GATEHOUSE_LINK_KEYS: ${err.problems.join('; ')}`);
    }
  }
  if (!config.GATEHOUSE_DECISION_SIGNING_KEY) {
    problems.push(`GATEHOUSE_DECISION_SIGNING_KEY: is required by the decision service${hint}`);
  } else {
    try {
      signer = createDecisionSigner(parseDecisionSigningKey(config.GATEHOUSE_DECISION_SIGNING_KEY));
    } catch (err) {
      if (!(err instanceof DecisionKeyError)) throw err;
      problems.push(`GATEHOUSE_DECISION_SIGNING_KEY: ${err.message}`);
    }
  }
  if (config.GATEHOUSE_MODE === 'production' && new URL(config.GATEHOUSE_PUBLIC_URL).protocol !== 'https:') {
    // Links are bearer credentials and the CSRF cookie must be Secure: plain http leaks both.
    problems.push('GATEHOUSE_PUBLIC_URL: must be https in production mode');
  }
  if (problems.length > 0 || !linkKeyring || !signer) throw new ConfigError(problems);
  return { linkKeyring, signer };
}

function listen(app: ReturnType<typeof createApp>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

main().catch((err: unknown) => {
  // Start-up problems are for a human: print them plainly, then exit non-zero.
  if (err instanceof ConfigError) {
    process.stderr.write(`gatehouse http: ${err.message}\n`);
  } else {
    process.stderr.write(`gatehouse http failed: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});
