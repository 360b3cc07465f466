/**
 * Assembly of the MCP side of Gatehouse: the gateway's server (for `gatehouse mcp-gateway` and
 * tests) and the worker's `mcp.*` action types, both from one configuration file.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Client } from '@temporalio/client';
import { builtInActionTypes, type ActionTypeRegistry } from '../actions/registry';
import { GatehouseClient } from '../client';
import type { Principal } from '../domain/proposal';
import type { Logger } from '../observability/logger';
import type { PolicyBook } from '../policy/load';
import { createFileCallStore, type CallStore } from './call-store';
import { discoverCatalog, type McpCatalog } from './catalog';
import type { McpGatewayConfig } from './config';
import { createDownstream, type Downstream } from './downstream';
import { McpToolParamsSchema, registerMcpActionTypes } from './executor';
import { createGatewayServer } from './gateway';
import { effectiveMcpPolicies, loadMcpPolicyFiles, withMcpDefaults } from './policies';

export interface McpGatewayOptions {
  config: McpGatewayConfig;
  temporal: Client;
  taskQueue: string;
  /** `kid:hex` of the gateway's agent (GATEHOUSE_AGENT_KEY): every proposal is signed with it. */
  agentKey: string;
  policiesDir: string;
  logger: Logger;
  runUrl?: (workflowId: string) => string;
}

export interface McpGateway {
  /** An MCP server for one caller (a stdio session, or one HTTP session of an authenticated client). */
  serverFor(caller: Principal): Server;
  catalog: McpCatalog;
  close(): Promise<void>;
}

/** The built-in action types plus one per catalog tool, without executors: what the gateway validates against. */
function gatewayActionTypes(catalog: McpCatalog): ActionTypeRegistry {
  const registry = builtInActionTypes();
  for (const tool of catalog.tools) registry.register({ name: tool.actionType, paramsSchema: McpToolParamsSchema });
  return registry;
}

export async function startMcpGateway(options: McpGatewayOptions): Promise<McpGateway> {
  const downstream = createDownstream(options.config);
  try {
    const catalog = await discoverCatalog(options.config, downstream);
    const policies = effectiveMcpPolicies(catalog, loadMcpPolicyFiles(options.policiesDir), options.config);
    const gatehouse = await GatehouseClient.connect({
      client: options.temporal,
      taskQueue: options.taskQueue,
      actionTypes: gatewayActionTypes(catalog),
      agentKey: options.agentKey,
    });
    const servers = new Set<Server>();
    options.logger.info({ tools: catalog.tools.map((t) => t.actionType) }, 'MCP gateway ready');
    return {
      serverFor(caller) {
        const server = createGatewayServer({
          catalog,
          policies,
          downstream,
          gatehouse,
          config: options.config,
          caller,
          logger: options.logger,
          ...(options.runUrl ? { runUrl: options.runUrl } : {}),
        });
        servers.add(server);
        return server;
      },
      catalog,
      async close() {
        await Promise.allSettled([...servers].map((s) => s.close()));
        await downstream.close();
      },
    };
  } catch (err) {
    await downstream.close();
    throw err;
  }
}

/** What the worker needs to execute MCP tools: connections of its own and the call record. */
export interface McpWorkerSide {
  catalog: McpCatalog;
  downstream: Downstream;
  /** Registers every tool's action type (before the policy book is loaded, which checks names). */
  register(registry: ActionTypeRegistry): void;
  /** The loaded book plus a default policy for every tool without a file. */
  policies(book: PolicyBook): PolicyBook;
  close(): Promise<void>;
}

/**
 * The worker's side. `store` is the call record shared by every worker (PostgreSQL); without one,
 * the configuration's `callsFile`, which serves one worker only.
 */
export async function startMcpWorkerSide(config: McpGatewayConfig, options: { store?: CallStore } = {}): Promise<McpWorkerSide> {
  const downstream = createDownstream(config, 'gatehouse-worker');
  let catalog: McpCatalog;
  try {
    catalog = await discoverCatalog(config, downstream);
  } catch (err) {
    await downstream.close();
    throw err;
  }
  const store = options.store ?? createFileCallStore(config.callsFile);
  return {
    catalog,
    downstream,
    register: (registry) => registerMcpActionTypes(registry, catalog, { downstream, store }),
    policies: (book) => withMcpDefaults(book, catalog, config),
    close: () => downstream.close(),
  };
}
