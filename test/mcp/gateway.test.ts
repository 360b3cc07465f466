/**
 * The MCP gateway on the real Temporal server: an MCP client calls tools of a real stdio
 * downstream server through the gateway; gated calls are runs decided through the decision API.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  type StreamableHTTPClientTransportOptions,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  LATEST_PROTOCOL_VERSION,
  type CallToolResult,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import { WorkflowNotFoundError } from '@temporalio/client';
import { submitDecision } from '../../src/client/submit-decision';
import { DecisionRefusal } from '../../src/domain/errors';
import { mcpProposalIdFor, workflowIdFor } from '../../src/domain/ids';
import { parseMcpGatewayConfig, type McpGatewayConfig } from '../../src/mcp/config';
import { createMcpHttpApp } from '../../src/mcp/http';
import type { McpGateway } from '../../src/mcp/start';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { eventually, type Harness } from '../support/harness';
import { createMcpHarness, type McpHarness } from '../support/mcp-harness';

const NOTES_SERVER = resolve(__dirname, '../support/mcp-notes-server.ts');
const CALLER = 'peter';
const AGENT = 'agent-7';
const TOKENS = { 'ide-agent': 'token-of-the-ide-agent-0001', 'chat-agent': 'token-of-the-chat-agent-0002' };

let h: Harness;
let dir: string;
let callLog: string;
let config: McpGatewayConfig;
let mcp: McpHarness;
const clients: McpClient[] = [];

function startGateway(holdSeconds: number): Promise<McpGateway> {
  return mcp.startGateway({ holdSeconds });
}

/** An MCP client connected to a fresh gateway holding calls for `holdSeconds`. */
async function connectClient(holdSeconds: number): Promise<McpClient> {
  const gateway = await startGateway(holdSeconds);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await gateway.serverFor({ id: CALLER }).connect(serverSide);
  const client = new McpClient({ name: 'test-agent', version: '1.0.0' });
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

/** Calls the downstream server received, of `tool` with `id`, from any process. */
function downstreamCalls(tool: string, id: string): number {
  if (!existsSync(callLog)) return 0;
  return readFileSync(callLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { tool: string; args: { id?: string } })
    .filter((c) => c.tool === tool && c.args.id === id).length;
}

const workflowIdOf = (tool: string, args: Record<string, unknown>, caller = CALLER) =>
  workflowIdFor({ id: mcpProposalIdFor({ caller, server: 'notes', tool, args }), agent: { id: AGENT } });

async function waitForStatus(workflowId: string, status: string): Promise<void> {
  await eventually(
    async () => ((await h.client.workflow.getHandle(workflowId).query(getStateQuery)).status === status ? true : undefined),
    20_000,
    `status ${status}`,
  );
}

async function decide(workflowId: string, kind: 'approve' | 'reject'): Promise<void> {
  await waitForStatus(workflowId, 'awaiting_approval');
  await h.client.workflow
    .getHandle(workflowId)
    .executeUpdate(decideUpdate, { args: [await h.decision(workflowId, { id: 'alice', role: 'approver' }, kind)] });
}

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-'));
  callLog = join(dir, 'calls.jsonl');
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  writeFileSync(
    join(policies, 'mcp.notes.launch_rockets.yaml'),
    'actionType: mcp.notes.launch_rockets\nrisk: critical\nmode: deny\ndenyReason: no rockets from agents\nsla: { expireAfter: 1h }\n',
  );
  config = parseMcpGatewayConfig({
    servers: {
      notes: { command: process.execPath, args: ['--import', 'tsx', NOTES_SERVER], env: { NOTES_CALL_LOG: callLog } },
    },
    agent: { id: AGENT, name: 'MCP gateway' },
    http: {
      clients: Object.entries(TOKENS).map(([id, token]) => ({ id, tokenSha256: createHash('sha256').update(token).digest('hex') })),
    },
    callsFile: join(dir, 'mcp-calls.jsonl'),
  });
  mcp = await createMcpHarness(config, policies);
  h = mcp.h;
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await mcp?.close();
});

describe('MCP gateway', () => {
  it('lists the downstream tools under their server prefix, annotations kept, denied tools hidden', async () => {
    const client = await connectClient(20);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['notes__delete_note', 'notes__read_note']);
    expect(tools.find((t) => t.name === 'notes__delete_note')).toMatchObject({
      description: 'Deletes a note for good.',
      annotations: { destructiveHint: true, openWorldHint: false },
      inputSchema: { type: 'object', required: ['id'] },
    });
    // Its "awaiting approval" answer has no structured content for a schema to promise.
    expect(tools.find((t) => t.name === 'notes__delete_note')).not.toHaveProperty('outputSchema');
  });

  it('refuses a denied tool with the policy reason and calls nothing', async () => {
    const client = await connectClient(20);
    const result = await client.callTool({ name: 'notes__launch_rockets', arguments: { id: 'r1' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('no rockets from agents');
    expect(downstreamCalls('launch_rockets', 'r1')).toBe(0);
  });

  it('passes a read-only tool through without a run', async () => {
    const client = await connectClient(20);
    const result = await client.callTool({ name: 'notes__read_note', arguments: { id: 'n0' } });
    expect(textOf(result)).toBe('note n0: buy milk');
    expect(downstreamCalls('read_note', 'n0')).toBe(1);
    await expect(h.client.workflow.getHandle(workflowIdOf('read_note', { id: 'n0' })).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });

  it('holds a destructive call until approval, then calls the tool once and returns its result; a retry attaches to the run', async () => {
    const client = await connectClient(30);
    const workflowId = workflowIdOf('delete_note', { id: 'n1' });
    const call = client.callTool({ name: 'notes__delete_note', arguments: { id: 'n1' } });
    await waitForStatus(workflowId, 'awaiting_approval');
    expect(downstreamCalls('delete_note', 'n1')).toBe(0);
    const { proposal } = await h.client.workflow.getHandle(workflowId).query(getStateQuery);
    expect(proposal).toMatchObject({ actionType: 'mcp.notes.delete_note', params: { id: 'n1' }, requestedBy: { id: CALLER } });
    expect(proposal.evidence.preview).toContain('Description (from the MCP server, untrusted): Deletes a note for good.');
    await decide(workflowId, 'approve');
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('deleted n1');
    expect(result.structuredContent).toEqual({ deleted: 'n1' });
    expect(downstreamCalls('delete_note', 'n1')).toBe(1);

    const again = await client.callTool({ name: 'notes__delete_note', arguments: { id: 'n1' } });
    expect(textOf(again)).toBe('deleted n1');
    expect(downstreamCalls('delete_note', 'n1')).toBe(1);
    const runs = await h.gatehouse.list(`WorkflowId = "${workflowId}"`);
    expect(runs).toHaveLength(1);
  });

  it('answers "awaiting approval" when the hold runs out; the same call later returns the final result', async () => {
    const client = await connectClient(1);
    // Listing first: the SDK client then checks results against the output schemas it was given.
    await client.listTools();
    const first = await client.callTool({ name: 'notes__delete_note', arguments: { id: 'n2' } });
    const workflowId = workflowIdOf('delete_note', { id: 'n2' });
    expect(first.isError).toBeFalsy();
    expect(textOf(first)).toContain(`Awaiting human approval in Gatehouse (run ${workflowId})`);
    expect(first._meta).toEqual({ 'gatehouse/status': 'awaiting_approval', 'gatehouse/workflowId': workflowId });
    await decide(workflowId, 'approve');
    const final = await h.client.workflow.getHandle(workflowId).result();
    expect(final.status).toBe('succeeded');
    const retried = await client.callTool({ name: 'notes__delete_note', arguments: { id: 'n2' } });
    expect(textOf(retried)).toBe('deleted n2');
    expect(downstreamCalls('delete_note', 'n2')).toBe(1);
  });

  it('makes a call with changed arguments a new run', async () => {
    const client = await connectClient(1);
    const a = await client.callTool({ name: 'notes__delete_note', arguments: { id: 'n3' } });
    const b = await client.callTool({ name: 'notes__delete_note', arguments: { id: 'n4' } });
    const idA = a._meta?.['gatehouse/workflowId'];
    const idB = b._meta?.['gatehouse/workflowId'];
    expect(idA).toBe(workflowIdOf('delete_note', { id: 'n3' }));
    expect(idB).toBe(workflowIdOf('delete_note', { id: 'n4' }));
    expect(idA).not.toBe(idB);
    await waitForStatus(String(idB), 'awaiting_approval');
    expect(downstreamCalls('delete_note', 'n3') + downstreamCalls('delete_note', 'n4')).toBe(0);
  });

  it('calls the tool with the arguments a reviewer approved with edits', async () => {
    const client = await connectClient(30);
    const workflowId = workflowIdOf('delete_note', { id: 'n8' });
    const call = client.callTool({ name: 'notes__delete_note', arguments: { id: 'n8' } });
    await waitForStatus(workflowId, 'awaiting_approval');
    const edited = await h.decision(workflowId, { id: 'alice', role: 'approver' }, 'approve_with_edits', {
      editedParams: { id: 'n8-draft' },
    });
    await h.client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [edited] });
    expect(textOf(await call)).toBe('deleted n8-draft');
    expect(downstreamCalls('delete_note', 'n8-draft')).toBe(1);
    expect(downstreamCalls('delete_note', 'n8')).toBe(0);
  });

  it('never lets the caller approve their own call', async () => {
    const client = await connectClient(1);
    const first = await client.callTool({ name: 'notes__delete_note', arguments: { id: 'n6' } });
    const workflowId = String(first._meta?.['gatehouse/workflowId']);
    await waitForStatus(workflowId, 'awaiting_approval');
    const own = await h.decision(workflowId, { id: CALLER, role: 'approver' }, 'approve');
    await expect(submitDecision(h.client, own)).rejects.toMatchObject({ code: DecisionRefusal.selfApproval });
    expect((await h.client.workflow.getHandle(workflowId).query(getStateQuery)).status).toBe('awaiting_approval');
    expect(downstreamCalls('delete_note', 'n6')).toBe(0);
  });

  it('calls the tool once when the worker restarts while the call waits', async () => {
    const client = await connectClient(1);
    const first = await client.callTool({ name: 'notes__delete_note', arguments: { id: 'n7' } });
    const workflowId = String(first._meta?.['gatehouse/workflowId']);
    await waitForStatus(workflowId, 'awaiting_approval');
    await h.stopWorker();
    await h.startWorker();
    await decide(workflowId, 'approve');
    expect((await h.client.workflow.getHandle(workflowId).result()).status).toBe('succeeded');
    expect(textOf(await client.callTool({ name: 'notes__delete_note', arguments: { id: 'n7' } }))).toBe('deleted n7');
    expect(downstreamCalls('delete_note', 'n7')).toBe(1);
  });

  it('returns a tool error with the reviewer reason on rejection and calls nothing', async () => {
    const client = await connectClient(30);
    const workflowId = workflowIdOf('delete_note', { id: 'n5' });
    const call = client.callTool({ name: 'notes__delete_note', arguments: { id: 'n5' } });
    await decide(workflowId, 'reject');
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(`Gatehouse run ${workflowId} ended rejected: alice: not like this`);
    expect(downstreamCalls('delete_note', 'n5')).toBe(0);
  });
});

describe('MCP gateway tasks', () => {
  /** A task-augmented call, as a client of the 2025-11-25 revision that supports tasks sends it. */
  const startTask = (client: McpClient, id: string) =>
    client.request(
      { method: 'tools/call', params: { name: 'notes__delete_note', arguments: { id }, task: { ttl: 60_000 } } },
      CreateTaskResultSchema,
    );

  it('lists gated tools as task-capable and pass-through tools without a task', async () => {
    const client = await connectClient(20);
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === 'notes__delete_note')?.execution).toEqual({ taskSupport: 'optional' });
    expect(tools.find((t) => t.name === 'notes__read_note')?.execution).toBeUndefined();
  });

  it('gives a task whose status follows the run to completion, with the downstream result', async () => {
    const client = await connectClient(20);
    const workflowId = workflowIdOf('delete_note', { id: 't1' });
    const seen: string[] = [];
    let result: CallToolResult | undefined;
    const stream = client.experimental.tasks.callToolStream({ name: 'notes__delete_note', arguments: { id: 't1' } }, CallToolResultSchema, {
      task: { ttl: 60_000 },
    });
    let approving: Promise<void> | undefined;
    for await (const message of stream) {
      if (message.type === 'taskCreated') {
        expect(message.task).toMatchObject({ taskId: workflowId, status: 'working' });
        approving = decide(workflowId, 'approve');
      }
      if (message.type === 'taskStatus') seen.push(message.task.status);
      if (message.type === 'result') result = message.result;
      if (message.type === 'error') throw message.error;
    }
    await approving;
    expect(seen.at(-1)).toBe('completed');
    expect(textOf(result)).toBe('deleted t1');
    expect(downstreamCalls('delete_note', 't1')).toBe(1);
  });

  it('withdraws the run when the client cancels the task, and calls nothing', async () => {
    const client = await connectClient(20);
    const { task } = await startTask(client, 't2');
    await waitForStatus(task.taskId, 'awaiting_approval');
    expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe('working');
    const cancelled = await client.experimental.tasks.cancelTask(task.taskId);
    expect(cancelled.status).toBe('cancelled');
    const final = await h.client.workflow.getHandle(task.taskId).result();
    expect(final.status).toBe('withdrawn');
    expect(final.transitions.at(-1)?.note ?? final.outcomeReason ?? '').toContain('tasks/cancel');
    expect(downstreamCalls('delete_note', 't2')).toBe(0);
    await expect(client.experimental.tasks.cancelTask(task.taskId)).rejects.toThrow(/terminal/);
  });

  it('fails the task on rejection; its result is a tool error with the reviewer reason', async () => {
    const client = await connectClient(20);
    const { task } = await startTask(client, 't3');
    await decide(task.taskId, 'reject');
    await h.client.workflow.getHandle(task.taskId).result();
    const status = await client.experimental.tasks.getTask(task.taskId);
    expect(status).toMatchObject({ status: 'failed', statusMessage: 'run ended rejected: alice: not like this' });
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('alice: not like this');
    expect(downstreamCalls('delete_note', 't3')).toBe(0);
  });

  it("answers another caller's run as an unknown task", async () => {
    const client = await connectClient(20);
    const { task } = await startTask(client, 't4');
    const gateway = await startGateway(20);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await gateway.serverFor({ id: 'mallory' }).connect(serverSide);
    const other = new McpClient({ name: 'other-agent', version: '1.0.0' });
    await other.connect(clientSide);
    clients.push(other);
    await expect(other.experimental.tasks.getTask(task.taskId)).rejects.toThrow(/not found/i);
    await expect(other.experimental.tasks.cancelTask(task.taskId)).rejects.toThrow(/not found/i);
    expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe('working');
  });
});

/** The SDK client asks for the latest revision; this one asks for an older one, as older clients do. */
class RevisionTransport extends StreamableHTTPClientTransport {
  constructor(
    url: URL,
    private readonly revision: string,
    options: StreamableHTTPClientTransportOptions,
  ) {
    super(url, options);
  }
  override send(message: JSONRPCMessage, options?: Parameters<StreamableHTTPClientTransport['send']>[1]): Promise<void> {
    if ('method' in message && message.method === 'initialize' && message.params) {
      return super.send({ ...message, params: { ...message.params, protocolVersion: this.revision } }, options);
    }
    return super.send(message, options);
  }
}

describe('MCP gateway over streamable HTTP', () => {
  let http: HttpServer;
  let url: URL;

  beforeAll(async () => {
    const gateway = await startGateway(30);
    http = createMcpHttpApp(gateway, config.http!.clients).listen(0, '127.0.0.1');
    await new Promise((r) => http.once('listening', r));
    url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
  });
  afterAll(async () => {
    // Clients keep a server-sent event stream open; the server waits for no one.
    const closed = new Promise((r) => http.close(r));
    http.closeAllConnections();
    await closed;
  });

  async function httpClient(token: string): Promise<{ client: McpClient; transport: StreamableHTTPClientTransport }> {
    const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } });
    const client = new McpClient({ name: 'http-agent', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return { client, transport };
  }

  it('serves a client of an older protocol revision and a current one alike', async () => {
    for (const revision of ['2025-03-26', '2025-06-18', LATEST_PROTOCOL_VERSION]) {
      const transport = new RevisionTransport(url, revision, {
        requestInit: { headers: { authorization: `Bearer ${TOKENS['ide-agent']}` } },
      });
      const client = new McpClient({ name: `agent-${revision}`, version: '1.0.0' });
      await client.connect(transport);
      clients.push(client);
      // The server answered with the revision asked for, and the transport now sends it on every request.
      expect(transport.protocolVersion).toBe(revision);
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['notes__delete_note', 'notes__read_note']);
      expect(textOf(await client.callTool({ name: 'notes__read_note', arguments: { id: `v-${revision}` } }))).toBe(
        `note v-${revision}: buy milk`,
      );
      const workflowId = workflowIdOf('delete_note', { id: `v-${revision}` }, 'ide-agent');
      const call = client.callTool({ name: 'notes__delete_note', arguments: { id: `v-${revision}` } });
      await decide(workflowId, 'approve');
      expect(textOf(await call)).toBe(`deleted v-${revision}`);
      expect(downstreamCalls('delete_note', `v-${revision}`)).toBe(1);
    }
  });

  it('refuses a request without a known bearer token', async () => {
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    };
    for (const authorization of [undefined, 'Bearer not-a-token-of-anyone-here']) {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify(init),
      });
      expect(res.status).toBe(401);
    }
  });

  it('records the authenticated client as the caller and returns the approved result', async () => {
    const { client } = await httpClient(TOKENS['ide-agent']);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['notes__delete_note', 'notes__read_note']);
    const workflowId = workflowIdOf('delete_note', { id: 'h1' }, 'ide-agent');
    const call = client.callTool({ name: 'notes__delete_note', arguments: { id: 'h1' } });
    await waitForStatus(workflowId, 'awaiting_approval');
    const state = await h.client.workflow.getHandle(workflowId).query(getStateQuery);
    expect(state.proposal.requestedBy.id).toBe('ide-agent');
    await decide(workflowId, 'approve');
    expect(textOf(await call)).toBe('deleted h1');
    expect(downstreamCalls('delete_note', 'h1')).toBe(1);
  });

  it("answers another client's session id as unknown", async () => {
    const { transport } = await httpClient(TOKENS['ide-agent']);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${TOKENS['chat-agent']}`,
        'mcp-session-id': transport.sessionId!,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
    });
    expect(res.status).toBe(404);
  });
});
