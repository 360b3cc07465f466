/**
 * The MCP gateway's tests share one set-up: the worker side of the gateway (its executor and the
 * policies of the downstream tools) registered in a harness worker, and gateways started against
 * that harness. Only the downstream servers and the policies differ from file to file.
 */
import type { McpGatewayConfig } from '../../src/mcp/config';
import { loadMcpPolicyFiles } from '../../src/mcp/policies';
import { startMcpGateway, startMcpWorkerSide, type McpGateway, type McpWorkerSide } from '../../src/mcp/start';
import { createLogger } from '../../src/observability/logger';
import { createHarness, type Harness } from './harness';

export interface McpHarness {
  h: Harness;
  workerSide: McpWorkerSide;
  /** A gateway in front of the configured servers, deciding by `policiesDir`; `holdSeconds` overrides the file's. */
  startGateway(options?: { holdSeconds?: number }): Promise<McpGateway>;
  close(): Promise<void>;
}

/**
 * A harness whose worker executes the configured servers' tools; with `policiesDir`, the policy
 * files there govern them in the worker too (otherwise the defaults derived from annotations).
 */
export async function createMcpHarness(
  config: McpGatewayConfig,
  policiesDir: string,
  options: { workerPolicies?: boolean } = {},
): Promise<McpHarness> {
  const workerSide = await startMcpWorkerSide(config);
  const h = await createHarness({
    registerActionTypes: (registry) => workerSide.register(registry),
    extendPolicyBook: (book) =>
      workerSide.policies(
        options.workerPolicies === false ? book : { ...book, policies: new Map([...book.policies, ...loadMcpPolicyFiles(policiesDir)]) },
      ),
  });
  await h.startWorker();
  const gateways: McpGateway[] = [];
  return {
    h,
    workerSide,
    async startGateway({ holdSeconds } = {}) {
      const gateway = await startMcpGateway({
        config: holdSeconds === undefined ? config : { ...config, holdSeconds },
        temporal: h.client,
        taskQueue: h.taskQueue,
        agentKey: h.agentKeySpec,
        policiesDir,
        logger: createLogger({ level: 'silent' }),
      });
      gateways.push(gateway);
      return gateway;
    },
    async close() {
      await Promise.all(gateways.map((g) => g.close()));
      await h.close();
      await workerSide.close();
    },
  };
}
