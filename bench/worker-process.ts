/**
 * The worker process: the real Gatehouse worker (createWorker, real activities, bench policies)
 * and the floor worker, with the same options, on one connection. Runs apart from the driver so
 * its RSS is its own. Reports commit starts, floor activity starts and mails over IPC.
 */
import { resolve } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { Context } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime, Worker, makeTelemetryFilterString, type InjectedSinks } from '@temporalio/worker';
import type { Executor } from '../src/actions/executor';
import { createFileAuditLog } from '../src/audit/hash-chain-log';
import type { Mailer } from '../src/mail/mailer';
import { createBytesSigner } from '../src/links/decision-signer';
import { parseLinkKeyring } from '../src/links/keyring';
import { createLogger } from '../src/observability/logger';
import { loadPolicyBook } from '../src/policy/load';
import { ephemeralSamplingKey } from '../src/policy/sampling';
import { createWorker } from '../src/worker/create-worker';
import { createFileCallStore } from '../src/mcp/call-store';
import { parseMcpGatewayConfig } from '../src/mcp/config';
import { createMcpToolExecutor, McpToolParamsSchema, type McpToolParams } from '../src/mcp/executor';
import { startMcpWorkerSide } from '../src/mcp/start';
import { benchActionTypes, type BenchParams } from './actions';
import { now } from './clock';
import type { FloorActivities, FloorSinks } from './floor-workflow';
import type { WorkerEvent, WorkerProcessConfig } from './worker-options';

function report(event: WorkerEvent): void {
  process.send?.(event);
}

/** Commits do no I/O; they report when they start, which is what the latency figures measure. */
const executor: Executor<BenchParams> = {
  async commit(_params, ctx) {
    report({ type: 'commit', wf: ctx.workflowId, at: now(), attempt: ctx.attempt });
    return { record: { ref: ctx.idempotencyKey }, alreadyApplied: false };
  },
  async verify() {
    return { ok: true, observed: 'present' };
  },
};

/** Renders and "sends" nothing further: the mail path is measured apart (performance.md #8). */
const mailer: Mailer = {
  async send(mail) {
    report({ type: 'mail', messageId: mail.messageId, at: now() });
    return { alreadySent: false };
  },
  async close() {},
};

/** Diagnostics: BENCH_WORKER_PROMETHEUS=host:port serves the SDK's metrics (task latencies, cache hits) for scraping. */
function prometheus(bindAddress: string | undefined) {
  return bindAddress ? { metrics: { prometheus: { bindAddress, useSecondsForDurations: false } } } : {};
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env['BENCH_WORKER'] ?? '') as WorkerProcessConfig;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
      ...prometheus(process.env['BENCH_WORKER_PROMETHEUS']),
    },
  });
  const connection = await NativeConnection.connect({ address: config.address });
  const actionTypes = benchActionTypes(executor);
  // The MCP tools run the real executor (a downstream call recorded in the call store); each
  // commit also reports its start, so the correctness gate counts MCP runs like the others.
  const mcpConfig = parseMcpGatewayConfig(config.mcp);
  const mcp = await startMcpWorkerSide(mcpConfig);
  const calls = createFileCallStore(mcpConfig.callsFile);
  for (const tool of mcp.catalog.tools) {
    const inner = createMcpToolExecutor(tool, { downstream: mcp.downstream, store: calls });
    const reporting: Executor<McpToolParams> = {
      ...inner,
      async commit(params, ctx) {
        report({ type: 'commit', wf: ctx.workflowId, at: now(), attempt: ctx.attempt });
        return inner.commit(params, ctx);
      },
    };
    actionTypes.register({ name: tool.actionType, paramsSchema: McpToolParamsSchema, executor: reporting });
  }
  const policyBook = mcp.policies(loadPolicyBook(config.policiesDir, resolve(config.policiesDir, 'reviewers.yaml'), actionTypes.names()));
  const started = now();
  const gatehouse = await createWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.gatehouseTaskQueue,
    workflowBundle: { codePath: config.bundles.gatehouse },
    policyBook,
    actionTypes,
    decisionKeys: { [config.decisionPublicKey.keyId]: config.decisionPublicKey.publicKeyHex },
    grantSigner: createBytesSigner(config.grantKey),
    agents: new Map([
      [
        'bench-agent',
        {
          id: 'bench-agent',
          name: 'Bench agent',
          keys: { [config.agentPublicKey.keyId]: config.agentPublicKey.publicKeyHex },
          scope: [...actionTypes.names()],
        },
      ],
    ]),
    mailer,
    linkKeyring: parseLinkKeyring(config.linkKeys),
    publicUrl: config.publicUrl,
    linkTtlMs: 24 * 3_600_000,
    auditLog: createFileAuditLog(config.auditLogFile),
    logger: createLogger({ level: 'silent' }),
    // The bench's executor stays in the process: no destination is needed.
    egress: { allow: { entries: [] } },
    samplingKey: ephemeralSamplingKey(),
    tuning: config.tuning,
  });
  const floorActivities: FloorActivities = {
    async floorCommit(input) {
      report({ type: 'floor', wf: input.workflowId, at: now(), attempt: Context.current().info.attempt });
    },
  };
  const floor = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.floorTaskQueue,
    workflowBundle: { codePath: config.bundles.floor },
    activities: floorActivities,
    sinks: {
      bench: { waiting: { fn: (info) => report({ type: 'waiting', wf: info.workflowId, at: now() }) } },
    } satisfies InjectedSinks<FloorSinks>,
    ...config.tuning,
  });
  report({ type: 'ready', startMs: now() - started });
  process.on('message', (msg: { type?: string; snapshotFile?: string }) => {
    if (msg?.type === 'stop') {
      gatehouse.shutdown();
      floor.shutdown();
    }
    if (msg?.type === 'memory') report(memoryReport(config.tuning.debugMode === true, msg.snapshotFile));
  });
  // The driver going away must not leave a worker polling a dead server.
  process.on('disconnect', () => {
    if (gatehouse.getState() === 'RUNNING') gatehouse.shutdown();
    if (floor.getState() === 'RUNNING') floor.shutdown();
  });
  await Promise.all([gatehouse.run(), floor.run()]);
  await mcp.close();
  await connection.close();
}

/**
 * This thread's heap after a full GC (the bench starts the worker with --expose-gc). With
 * BENCH_WORKER_DEBUG_MODE=1 the workflows run on this thread too, so the figure covers every
 * waiting run's retained memory; in the normal threaded mode their threads collect on their own
 * schedule, which is why RSS alone moves by ±100 MB.
 */
function memoryReport(workflowsOnThisThread: boolean, snapshotFile: string | undefined): WorkerEvent {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const usage = process.memoryUsage();
  const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
  return {
    type: 'memory',
    heapUsedMb: mb(usage.heapUsed),
    externalMb: mb(usage.external),
    gcRan: gc !== undefined,
    workflowsOnThisThread,
    ...(snapshotFile ? { snapshot: writeHeapSnapshot(snapshotFile) } : {}),
  };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    report({ type: 'failed', message: (err as Error)?.stack ?? String(err) });
    process.stderr.write(`bench worker failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
