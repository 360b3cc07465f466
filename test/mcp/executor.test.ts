/**
 * The commit of an MCP tool against a real stdio downstream server: one call per idempotency key,
 * whatever the number of attempts, and no blind second call after a crash mid-call.
 */
import { existsSync, mkdtempSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CommitRejectedError, type ExecutionContext } from '../../src/actions/executor';
import { createFileCallStore } from '../../src/mcp/call-store';
import { discoverCatalog } from '../../src/mcp/catalog';
import { createDownstream, DownstreamError, type Downstream } from '../../src/mcp/downstream';
import { createMcpToolExecutor } from '../../src/mcp/executor';
import { createLogger } from '../../src/observability/logger';

const NOTES_SERVER = resolve(__dirname, '../support/mcp-notes-server.ts');
let dir: string;
let downstream: Downstream;

const ctx = (key: string, attempt = 1) =>
  ({ idempotencyKey: key, attempt, workflowId: 'w', logger: createLogger({ level: 'silent' }) }) as unknown as ExecutionContext;

function calls(id: string): number {
  const log = join(dir, 'calls.jsonl');
  if (!existsSync(log)) return 0;
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"id":"${id}"`)).length;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-exec-'));
  downstream = createDownstream({
    servers: {
      notes: { command: process.execPath, args: ['--import', 'tsx', NOTES_SERVER], env: { NOTES_CALL_LOG: join(dir, 'calls.jsonl') } },
    },
  });
});
afterAll(async () => {
  await downstream.close();
});

async function deleteNoteExecutor(storeFile: string) {
  const catalog = await discoverCatalog({ servers: { notes: { command: 'unused', args: [] } } }, downstream);
  return createMcpToolExecutor(catalog.byActionType.get('mcp.notes.delete_note')!, { downstream, store: createFileCallStore(storeFile) });
}

describe('MCP tool executor', () => {
  it('calls the tool once per key; a retried commit returns the recorded result and verify reads it', async () => {
    const executor = await deleteNoteExecutor(join(dir, 'store-1.jsonl'));
    const first = await executor.commit({ id: 'e1' }, ctx('k1'));
    const second = await executor.commit({ id: 'e1' }, ctx('k1', 2));
    expect(first).toEqual({ alreadyApplied: false, record: expect.objectContaining({ tool: 'delete_note' }) });
    expect(second.alreadyApplied).toBe(true);
    expect(second.record).toEqual(first.record);
    expect(calls('e1')).toBe(1);
    await expect(executor.verify({ id: 'e1' }, first.record, ctx('k1'))).resolves.toMatchObject({ ok: true });
    await expect(executor.verify({ id: 'e1' }, first.record, ctx('k-other'))).resolves.toMatchObject({ ok: false });
  });

  it('refuses to call again after an attempt that claimed the key and recorded no result', async () => {
    const storeFile = join(dir, 'store-2.jsonl');
    appendFileSync(
      storeFile,
      `${JSON.stringify({ key: 'k2', status: 'calling', server: 'notes', tool: 'delete_note', at: new Date().toISOString() })}\n`,
    );
    const executor = await deleteNoteExecutor(storeFile);
    await expect(executor.commit({ id: 'e2' }, ctx('k2', 2))).rejects.toBeInstanceOf(CommitRejectedError);
    expect(calls('e2')).toBe(0);
  });

  it('names a server that is not configured', async () => {
    await expect(downstream.callTool('nowhere', 'x', {})).rejects.toBeInstanceOf(DownstreamError);
  });
});
