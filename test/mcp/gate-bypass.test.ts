/**
 * Attacks on the MCP gateway's pass-through, on the real Temporal server: a read-only tool the
 * gateway calls directly must still meet its policy's triggers and evidence rules, exactly as the
 * worker's evaluation would.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mcpProposalIdFor, workflowIdFor } from '../../src/domain/ids';
import { parseMcpGatewayConfig, type McpGatewayConfig } from '../../src/mcp/config';
import type { McpGateway } from '../../src/mcp/start';
import { getStateQuery } from '../../workflows/messages';
import { eventually, type Harness } from '../support/harness';
import { createMcpHarness, type McpHarness } from '../support/mcp-harness';

const NOTES_SERVER = resolve(__dirname, '../support/mcp-notes-server.ts');
const CALLER = 'peter';
const AGENT = 'agent-7';

let h: Harness;
let dir: string;
let callLog: string;
let config: McpGatewayConfig;
let mcp: McpHarness;
let gateway: McpGateway;
let client: McpClient;

function downstreamCalls(tool: string, id: string): number {
  if (!existsSync(callLog)) return 0;
  return readFileSync(callLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { tool: string; args: { id?: string } })
    .filter((c) => c.tool === tool && c.args.id === id).length;
}

const workflowIdOf = (tool: string, args: Record<string, unknown>) =>
  workflowIdFor({ id: mcpProposalIdFor({ caller: CALLER, server: 'notes', tool, args }), agent: { id: AGENT } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-bypass-'));
  callLog = join(dir, 'calls.jsonl');
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  // A risk owner keeps the read tool autonomous but wants a person for private notes.
  writeFileSync(
    join(policies, 'mcp.notes.read_note.yaml'),
    [
      'actionType: mcp.notes.read_note',
      'risk: low',
      'mode: autonomous',
      'triggers:',
      '  - id: private-note',
      '    description: private notes need a person',
      "    when: { field: params.id, op: matches, value: '^private-' }",
      'sla: { expireAfter: 1h }',
      '',
    ].join('\n'),
  );
  config = parseMcpGatewayConfig({
    servers: {
      notes: { command: process.execPath, args: ['--import', 'tsx', NOTES_SERVER], env: { NOTES_CALL_LOG: callLog } },
    },
    agent: { id: AGENT, name: 'MCP gateway' },
    callsFile: join(dir, 'mcp-calls.jsonl'),
  });
  mcp = await createMcpHarness(config, policies);
  h = mcp.h;
  gateway = await mcp.startGateway({ holdSeconds: 1 });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await gateway.serverFor({ id: CALLER }).connect(serverSide);
  client = new McpClient({ name: 'test-agent', version: '1.0.0' });
  await client.connect(clientSide);
});

afterAll(async () => {
  await client?.close();
  await mcp?.close();
});

describe('MCP gateway pass-through', () => {
  it('holds a read-only call whose policy trigger fires for review instead of calling the tool', async () => {
    const args = { id: 'private-salaries' };
    const result = (await client.callTool({ name: 'notes__read_note', arguments: args })) as CallToolResult;
    expect(downstreamCalls('read_note', 'private-salaries')).toBe(0);
    expect(result._meta?.['gatehouse/status']).toBe('awaiting_approval');
    const workflowId = workflowIdOf('read_note', args);
    await eventually(
      async () => ((await h.client.workflow.getHandle(workflowId).query(getStateQuery)).status === 'awaiting_approval' ? true : undefined),
      20_000,
      'awaiting approval',
    );
    expect(downstreamCalls('read_note', 'private-salaries')).toBe(0);
  });

  it('still answers a read-only call no trigger catches, once', async () => {
    const result = (await client.callTool({ name: 'notes__read_note', arguments: { id: 'n1' } })) as CallToolResult;
    expect((result.content[0] as { text: string }).text).toBe('note n1: buy milk');
    expect(downstreamCalls('read_note', 'n1')).toBe(1);
  });
});
