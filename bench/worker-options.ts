/**
 * The one worker configuration the floor and Gatehouse workers share: same cache, same slots,
 * same shutdown times. A bounded cache is what keeps memory flat while thousands of approvals wait.
 */
import type { WorkerSetup } from '../src/worker/create-worker';

export type BenchTuning = NonNullable<WorkerSetup['tuning']>;

export function benchTuning(maxCachedWorkflows: number): BenchTuning {
  return {
    maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: 40,
    maxConcurrentActivityTaskExecutions: 100,
    shutdownGraceTime: '2 seconds',
    shutdownForceTime: '5 seconds',
    // Diagnostics: workflows on the worker's main thread, so its heap after GC covers them.
    ...(process.env['BENCH_WORKER_DEBUG_MODE'] === '1' ? { debugMode: true } : {}),
  };
}

/** Everything the worker process needs, passed as JSON in its environment. */
export interface WorkerProcessConfig {
  address: string;
  namespace: string;
  gatehouseTaskQueue: string;
  floorTaskQueue: string;
  /** `kid:hex` public key of the bench's decision signer. */
  decisionPublicKey: { keyId: string; publicKeyHex: string };
  /** The worker's link-grant key. */
  grantKey: { keyId: string; privateKeyHex: string };
  /** The bench agent's public key: the registry gives `bench-agent` this key and every bench action type. */
  agentPublicKey: { keyId: string; publicKeyHex: string };
  /** `kid:secret` link keyring, the same the HTTP app verifies with. */
  linkKeys: string;
  publicUrl: string;
  auditLogFile: string;
  tuning: BenchTuning;
  /** Pre-built workflow bundles (bench/bundle.ts), as a deployment ships them. */
  bundles: { gatehouse: string; floor: string };
  /** The bench's policy pack (bench/policies): the compiled worker process runs from elsewhere. */
  policiesDir: string;
  /** The MCP gateway configuration (bench/mcp.ts): the worker executes its `mcp.bench.*` tools. */
  mcp: Record<string, unknown>;
}

/** What the worker process reports to the driver over IPC; `at` is bench/clock's now(). */
export type WorkerEvent =
  | { type: 'ready'; startMs: number }
  | { type: 'commit'; wf: string; at: number; attempt: number }
  | { type: 'floor'; wf: string; at: number; attempt: number }
  | { type: 'mail'; messageId: string; at: number }
  /** A floor run took its first task and waits for its signal. */
  | { type: 'waiting'; wf: string; at: number }
  | { type: 'failed'; message: string }
  /** Answer to a memory request: the worker's main-thread heap after a GC (workflows included in debug mode). */
  | { type: 'memory'; heapUsedMb: number; externalMb: number; gcRan: boolean; workflowsOnThisThread: boolean; snapshot?: string };
