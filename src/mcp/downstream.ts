/**
 * Connections to the downstream MCP servers: one client per server, opened on first use and kept
 * (a stdio server is a child process; spawning one per call would be slow and lose its state).
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ProgressNotificationSchema, type CallToolResult, type Progress, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { DownstreamServer, McpGatewayConfig } from './config';

/** Thrown when a server name is not in the configuration, or its server cannot be reached. */
export class DownstreamError extends Error {
  override readonly name = 'DownstreamError';
}

/** What a pass-through call relays between its client and the downstream server. */
export interface CallOptions {
  /** Called with each progress the server reports for this call, up to and including its last. */
  onprogress?: (progress: Progress) => void;
  /** Aborting it cancels the downstream call. */
  signal?: AbortSignal;
}

export interface Downstream {
  listTools(server: string): Promise<Tool[]>;
  callTool(server: string, tool: string, args: Record<string, unknown>, options?: CallOptions): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** Long enough for a slow tool; a call the worker makes is heartbeated, so it may take minutes. */
const CALL_TIMEOUT_MS = 10 * 60_000;

function transportFor(server: DownstreamServer): Transport {
  if ('url' in server) {
    return new StreamableHTTPClientTransport(new URL(server.url), server.headers ? { requestInit: { headers: server.headers } } : {});
  }
  return new StdioClientTransport({
    command: server.command,
    args: server.args,
    env: { ...getDefaultEnvironment(), ...server.env },
    ...(server.cwd ? { cwd: server.cwd } : {}),
    stderr: 'ignore',
  });
}

export function createDownstream(config: Pick<McpGatewayConfig, 'servers'>, clientName = 'gatehouse-mcp-gateway'): Downstream {
  const clients = new Map<string, Promise<Client>>();
  /**
   * Progress listeners by the token the call was sent with. Not the SDK's own `onprogress`: it
   * forgets the token when the result arrives, and a server's last progress, read in the same
   * chunk as the result, reaches its (deferred) handler only after that, so it was lost.
   */
  const progressRoutes = new Map<string, (progress: Progress) => void>();
  const routeOf = (server: string, token: string) => `${server}\n${token}`;

  const clientFor = (name: string): Promise<Client> => {
    const existing = clients.get(name);
    if (existing) return existing;
    const server = config.servers[name];
    if (!server) return Promise.reject(new DownstreamError(`no downstream server "${name}" in the configuration`));
    const client = new Client({ name: clientName, version: '0.1.0' });
    // Routed by server and token: a downstream server can only speak to calls made to it.
    client.setNotificationHandler(ProgressNotificationSchema, ({ params: { progressToken, ...progress } }) => {
      progressRoutes.get(routeOf(name, String(progressToken)))?.(progress);
    });
    const connecting = client.connect(transportFor(server)).then(
      () => {
        // A server that exits is reconnected on the next use rather than failing every later call.
        client.onclose = () => clients.delete(name);
        return client;
      },
      (err: unknown) => {
        clients.delete(name);
        throw new DownstreamError(`downstream server "${name}" cannot be reached: ${(err as Error).message}`, { cause: err });
      },
    );
    clients.set(name, connecting);
    return connecting;
  };

  return {
    async listTools(server) {
      const client = await clientFor(server);
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : {});
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      return tools;
    },
    async callTool(server, tool, args, { onprogress, signal } = {}) {
      const client = await clientFor(server);
      // Unguessable, so one server cannot aim progress at another caller's call to it either.
      const progressToken = onprogress ? `gatehouse-${randomUUID()}` : undefined;
      if (progressToken && onprogress) progressRoutes.set(routeOf(server, progressToken), onprogress);
      try {
        const params = { name: tool, arguments: args, ...(progressToken ? { _meta: { progressToken } } : {}) };
        return (await client.callTool(params, undefined, { timeout: CALL_TIMEOUT_MS, ...(signal ? { signal } : {}) })) as CallToolResult;
      } finally {
        // Progress read before the result has been handed on by now: its handler was queued first.
        if (progressToken) progressRoutes.delete(routeOf(server, progressToken));
      }
    },
    async close() {
      const open = [...clients.values()];
      clients.clear();
      await Promise.allSettled(open.map(async (c) => (await c).close()));
    },
  };
}
