/**
 * Smoke test with a published MCP server from npm (@modelcontextprotocol/server-filesystem,
 * pinned as a devDependency, run offline from node_modules) behind the gateway, over stdio, on the
 * real Temporal server: reads pass through, an edit waits for approval and is applied once.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mcpProposalIdFor, workflowIdFor } from '../../src/domain/ids';
import { parseMcpGatewayConfig, type McpGatewayConfig } from '../../src/mcp/config';
import type { McpGateway, McpWorkerSide } from '../../src/mcp/start';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { eventually, type Harness } from '../support/harness';
import { createMcpHarness, type McpHarness } from '../support/mcp-harness';

const FILESYSTEM_SERVER = resolve(__dirname, '../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
const CALLER = 'peter';
const AGENT = 'agent-7';

let h: Harness;
let dir: string;
let shared: string;
let config: McpGatewayConfig;
let workerSide: McpWorkerSide;
let mcp: McpHarness;
let gateway: McpGateway;
let client: McpClient;

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-fs-'));
  mkdirSync(join(dir, 'shared'));
  // The server compares real paths: /tmp may be a link.
  shared = realpathSync(join(dir, 'shared'));
  writeFileSync(join(shared, 'notes.txt'), 'hello\n');
  mkdirSync(join(dir, 'policies'));
  config = parseMcpGatewayConfig({
    servers: { files: { command: process.execPath, args: [FILESYSTEM_SERVER, shared] } },
    agent: { id: AGENT, name: 'MCP gateway' },
    holdSeconds: 30,
    callsFile: join(dir, 'mcp-calls.jsonl'),
  });
  mcp = await createMcpHarness(config, join(dir, 'policies'), { workerPolicies: false });
  ({ h, workerSide } = mcp);
  gateway = await mcp.startGateway();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await gateway.serverFor({ id: CALLER }).connect(serverSide);
  client = new McpClient({ name: 'fs-agent', version: '1.0.0' });
  await client.connect(clientSide);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await mcp?.close();
});

describe('MCP gateway in front of @modelcontextprotocol/server-filesystem', () => {
  it('lists every tool of the published server under its prefix, annotations kept', async () => {
    const downstream = await workerSide.downstream.listTools('files');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(downstream.map((t) => `files__${t.name}`).sort());
    expect(tools.find((t) => t.name === 'files__edit_file')?.annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false });
  });

  it('passes a read through without a run', async () => {
    const result = await client.callTool({ name: 'files__read_text_file', arguments: { path: join(shared, 'notes.txt') } });
    expect(textOf(result)).toBe('hello\n');
    expect(await h.gatehouse.list(`GatehouseActionType = "mcp.files.read_text_file"`)).toHaveLength(0);
  });

  it('holds an edit until approval, then applies it exactly once', async () => {
    const args = { path: join(shared, 'notes.txt'), edits: [{ oldText: 'hello', newText: 'hello hello' }] };
    const workflowId = workflowIdFor({
      id: mcpProposalIdFor({ caller: CALLER, server: 'files', tool: 'edit_file', args }),
      agent: { id: AGENT },
    });
    const call = client.callTool({ name: 'files__edit_file', arguments: args });
    await eventually(
      async () => ((await h.client.workflow.getHandle(workflowId).query(getStateQuery)).status === 'awaiting_approval' ? true : undefined),
      20_000,
      'awaiting approval',
    );
    expect(readFileSync(join(shared, 'notes.txt'), 'utf8')).toBe('hello\n');
    await h.client.workflow
      .getHandle(workflowId)
      .executeUpdate(decideUpdate, { args: [await h.decision(workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('+hello hello');
    // An edit applied twice would read "hello hello hello".
    expect(readFileSync(join(shared, 'notes.txt'), 'utf8')).toBe('hello hello\n');
    const again = await client.callTool({ name: 'files__edit_file', arguments: args });
    expect(textOf(again)).toBe(textOf(result));
    expect(readFileSync(join(shared, 'notes.txt'), 'utf8')).toBe('hello hello\n');
  });
});
