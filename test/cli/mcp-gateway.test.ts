/**
 * `gatehouse mcp-gateway` as an MCP client launches it: the built CLI over stdio, in front of a
 * real stdio downstream server, against the run's Temporal server and a real worker.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { stringify } from 'yaml';
import { parseMcpGatewayConfig } from '../../src/mcp/config';
import { startMcpWorkerSide, type McpWorkerSide } from '../../src/mcp/start';
import { decideUpdate } from '../../workflows/messages';
import { runCli } from '../support/cli';
import { createHarness, eventually, type Harness } from '../support/harness';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const NOTES_SERVER = resolve(__dirname, '../support/mcp-notes-server.ts');

let h: Harness;
let workerSide: McpWorkerSide;
let client: McpClient;
let env: Record<string, string>;

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-cli-'));
  const raw = {
    servers: {
      notes: { command: process.execPath, args: ['--import', 'tsx', NOTES_SERVER], env: { NOTES_CALL_LOG: join(dir, 'calls.jsonl') } },
    },
    agent: { id: 'agent-7', name: 'MCP gateway' },
    holdSeconds: 1,
    callsFile: join(dir, 'mcp-calls.jsonl'),
  };
  const configFile = join(dir, 'gateway.yaml');
  writeFileSync(configFile, stringify(raw));
  mkdirSync(join(dir, 'policies'));
  workerSide = await startMcpWorkerSide(parseMcpGatewayConfig(raw));
  h = await createHarness({
    registerActionTypes: (registry) => workerSide.register(registry),
    extendPolicyBook: (book) => workerSide.policies(book),
  });
  await h.startWorker();
  env = {
    PATH: process.env['PATH'] ?? '',
    TEMPORAL_ADDRESS: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!,
    GATEHOUSE_TASK_QUEUE: h.taskQueue,
    GATEHOUSE_AGENT_KEY: h.agentKeySpec,
    GATEHOUSE_POLICIES_DIR: join(dir, 'policies'),
    GATEHOUSE_MCP_CONFIG: configFile,
    GATEHOUSE_MCP_CALLER: 'peter',
    LOG_LEVEL: 'warn',
  };
  client = new McpClient({ name: 'cli-test-agent', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp-gateway'], env, stderr: 'inherit' }));
});

afterAll(async () => {
  await client?.close();
  await h?.close();
  await workerSide?.close();
});

describe('gatehouse mcp-gateway over stdio', () => {
  it('serves the downstream tools and passes a read-only call through', async () => {
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'notes__delete_note',
      'notes__launch_rockets',
      'notes__read_note',
    ]);
    expect(textOf(await client.callTool({ name: 'notes__read_note', arguments: { id: 's1' } }))).toBe('note s1: buy milk');
  });

  it('answers a gated call as pending, then returns the approved result to the same call', async () => {
    const first = await client.callTool({ name: 'notes__delete_note', arguments: { id: 's2' } });
    const workflowId = String(first._meta?.['gatehouse/workflowId']);
    expect(textOf(first)).toContain('Awaiting human approval');
    await eventually(async () =>
      (await h.gatehouse.getProposal(workflowId).then((r) => r.status())).status === 'awaiting_approval' ? true : undefined,
    );
    await h.client.workflow
      .getHandle(workflowId)
      .executeUpdate(decideUpdate, { args: [await h.decision(workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    await h.client.workflow.getHandle(workflowId).result();
    expect(textOf(await client.callTool({ name: 'notes__delete_note', arguments: { id: 's2' } }))).toBe('deleted s2');
  });

  it('refuses a bad configuration with its problems and exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-bad-'));
    writeFileSync(join(dir, 'bad.yaml'), 'servers: {}\nagent: { id: a }\n');
    const result = await runCli({ ...env, GATEHOUSE_MCP_CONFIG: join(dir, 'bad.yaml') }, 'mcp-gateway');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('servers: at least one downstream server');
    expect(result.stderr).toContain('agent.name');
  });
});
