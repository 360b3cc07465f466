/**
 * The MCP gateway's figures (issue 18): a pass-through tool call through the gateway against the
 * same call made straight to the downstream server, and a gated call the policy approves against
 * the floor's signal-with-start round trip. The gateway runs in this process, as a library, with
 * its client on an in-memory transport: what is measured is the gateway's own work (policy,
 * proposal, waiting for the run, the second MCP hop), not the transport an MCP client picks to
 * reach any server.
 */
import { resolve } from 'node:path';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mcpProposalIdFor, workflowIdFor } from '../src/domain/ids';
import { parseMcpGatewayConfig } from '../src/mcp/config';
import { startMcpGateway, type McpGateway } from '../src/mcp/start';
import { createLogger } from '../src/observability/logger';
import { now } from './clock';
import { GATEHOUSE_QUEUE, nextId, type Bench } from './context';
import { openLoop } from './load';
import { AGENT, SERVER } from './mcp-config';

const CALLER = 'bench-caller';

export interface McpSides {
  viaGateway: McpClient;
  direct: McpClient;
  close(): Promise<void>;
}

export async function startMcpSides(bench: Bench): Promise<McpSides> {
  const gateway: McpGateway = await startMcpGateway({
    config: parseMcpGatewayConfig(bench.mcpConfig),
    temporal: bench.client,
    taskQueue: GATEHOUSE_QUEUE,
    agentKey: bench.agentKey,
    policiesDir: resolve(__dirname, 'policies'),
    logger: createLogger({ level: 'silent' }),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await gateway.serverFor({ id: CALLER }).connect(serverSide);
  const viaGateway = new McpClient({ name: 'bench-agent', version: '1.0.0' });
  await viaGateway.connect(clientSide);
  const direct = new McpClient({ name: 'bench-agent', version: '1.0.0' });
  await direct.connect(new StdioClientTransport({ command: process.execPath, args: ['--import', 'tsx', SERVER], stderr: 'ignore' }));
  return {
    viaGateway,
    direct,
    async close() {
      await Promise.allSettled([viaGateway.close(), direct.close()]);
      await gateway.close();
    },
  };
}

const textOf = (r: unknown) => ((r as CallToolResult).content[0] as { text?: string } | undefined)?.text;

/** `n` read-only calls each way, one at a time, alternating which goes first; ms per call. */
export async function mcpPassThrough(sides: McpSides, n: number, into: { direct: number[]; viaGateway: number[] }): Promise<void> {
  const call = async (client: McpClient, name: string, id: string, samples: number[]) => {
    const t0 = now();
    const result = await client.callTool({ name, arguments: { id } });
    samples.push(now() - t0);
    if (textOf(result) !== `lookup ${id}`) throw new Error(`${name} answered ${JSON.stringify(result)}`);
  };
  for (let i = 0; i < n; i++) {
    const id = `pt-${i}`;
    const direct = () => call(sides.direct, 'lookup', id, into.direct);
    const gateway = () => call(sides.viaGateway, 'bench__lookup', id, into.viaGateway);
    if (i % 2 === 0) {
      await direct();
      await gateway();
    } else {
      await gateway();
      await direct();
    }
  }
}

/**
 * `n` gated calls the policy approves, open loop at `rate`: from the scheduled send to the
 * downstream result in the client's hands (a run started, evaluated, committed by the worker's
 * MCP executor and finished), the counterpart of the floor's signal-with-start → completed.
 */
export async function mcpGatedAuto(bench: Bench, sides: McpSides, n: number, rate: number, into: number[]): Promise<void> {
  const ids = Array.from({ length: n }, () => nextId(bench, 'mcp'));
  const { errors } = await openLoop(ids, rate, async (id, at) => {
    const workflowId = workflowIdFor({
      id: mcpProposalIdFor({ caller: CALLER, server: 'bench', tool: 'record', args: { id } }),
      agent: { id: AGENT },
    });
    bench.expect.gatehouse.add(workflowId);
    const result = await sides.viaGateway.callTool({ name: 'bench__record', arguments: { id } });
    into.push(now() - at);
    if (textOf(result) !== `record ${id}`) throw new Error(`${workflowId} answered ${JSON.stringify(result)}`);
  });
  if (errors.length > 0)
    throw new Error(`gated MCP calls: ${errors.length} failed; first: ${(errors[0] as Error)?.message ?? String(errors[0])}`);
}
