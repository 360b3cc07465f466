/**
 * The real worker process (`dist/src/worker/main.js`, GATEHOUSE_MCP_CONFIG set) SIGKILLed while a
 * gated MCP call waits for approval; a new worker process takes over, the call is approved, and
 * the downstream tool is called once. Needs `npm run build`.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { generateDecisionKeyPair } from '../../src/links/decision-signer';
import { startDevInbox, type DevInbox } from '../../src/mail/dev-inbox';
import { parseMcpGatewayConfig } from '../../src/mcp/config';
import { startMcpGateway, type McpGateway } from '../../src/mcp/start';
import { createLogger } from '../../src/observability/logger';
import { getStateQuery } from '../../workflows/messages';
import { eventually } from '../support/harness';
import { approveWhenWaiting, prepareWorkerSetup } from '../reliability/support/worker-setup';
import { spawnWorker, type WorkerProcess } from '../reliability/support/worker-process';

const NOTES_SERVER = resolve(__dirname, '../support/mcp-notes-server.ts');
const TOOLS = ['mcp.notes.read_note', 'mcp.notes.delete_note', 'mcp.notes.launch_rockets'];

let dir: string;
let callLog: string;
let inbox: DevInbox;
let connection: Connection;
let temporal: Client;
let gateway: McpGateway;
let client: McpClient;
const workers: WorkerProcess[] = [];

const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;
const deletes = (id: string) =>
  existsSync(callLog)
    ? readFileSync(callLog, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"delete_note"') && l.includes(`"id":"${id}"`)).length
    : 0;

afterAll(async () => {
  await client?.close();
  await gateway?.close();
  await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
  await connection?.close();
  await inbox?.close();
});

describe('MCP gateway with a worker process killed while a call waits', () => {
  it('calls the tool once after the worker is SIGKILLed, restarted and the call approved', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-kill-'));
    callLog = join(dir, 'calls.jsonl');
    const setup = prepareWorkerSetup();
    const agent = generateDecisionKeyPair();
    // The setup's registry file, rewritten: the worker knows that path as the registry, not a policy.
    const agentsFile = setup.env({ TEMPORAL_ADDRESS: '', GATEHOUSE_TASK_QUEUE: '', SMTP_URL: '' }).GATEHOUSE_AGENTS_FILE;
    writeFileSync(
      agentsFile,
      `agents:\n  - { id: mcp-gw, name: MCP gateway, keys: ["gw:${agent.publicKeyHex}"], scope: [${TOOLS.join(', ')}] }\n`,
    );
    const raw = {
      servers: { notes: { command: process.execPath, args: ['--import', 'tsx', NOTES_SERVER], env: { NOTES_CALL_LOG: callLog } } },
      agent: { id: 'mcp-gw', name: 'MCP gateway' },
      holdSeconds: 1,
      callsFile: join(dir, 'mcp-calls.jsonl'),
    };
    const configFile = join(dir, 'gateway.json');
    writeFileSync(configFile, JSON.stringify(raw));
    inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
    const address = process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!;
    const taskQueue = `mcp-kill-${randomUUID()}`;
    const env = {
      ...setup.env({
        TEMPORAL_ADDRESS: address,
        GATEHOUSE_TASK_QUEUE: taskQueue,
        SMTP_URL: inbox.smtpUrl,
        GATEHOUSE_MAILDEV_API: inbox.apiBaseUrl,
      }),
      GATEHOUSE_MCP_CONFIG: configFile,
    };
    const first = spawnWorker(env);
    workers.push(first);
    await first.ready;

    connection = await Connection.connect({ address });
    temporal = new Client({ connection });
    gateway = await startMcpGateway({
      config: parseMcpGatewayConfig(raw),
      temporal,
      taskQueue,
      agentKey: `gw:${agent.privateKeyHex}`,
      policiesDir: dir,
      logger: createLogger({ level: 'silent' }),
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await gateway.serverFor({ id: 'peter' }).connect(serverSide);
    client = new McpClient({ name: 'kill-agent', version: '1.0.0' });
    await client.connect(clientSide);

    const pending = await client.callTool({ name: 'notes__delete_note', arguments: { id: 'k1' } });
    const workflowId = String(pending._meta?.['gatehouse/workflowId']);
    expect(pending._meta?.['gatehouse/status']).toBe('awaiting_approval');
    const handle = temporal.workflow.getHandle(workflowId);
    // Waiting for a reviewer on the first worker, which then dies without a word.
    await eventually(
      async () => ((await handle.query(getStateQuery)).status === 'awaiting_approval' ? true : undefined),
      30_000,
      'awaiting approval',
    );
    await first.kill();
    expect(deletes('k1')).toBe(0);

    const second = spawnWorker(env);
    workers.push(second);
    await second.ready;
    await approveWhenWaiting(handle, setup);
    expect((await handle.result()).status).toBe('succeeded');
    expect(textOf(await client.callTool({ name: 'notes__delete_note', arguments: { id: 'k1' } }))).toBe('deleted k1');
    expect(deletes('k1')).toBe(1);
  }, 120_000);
});
