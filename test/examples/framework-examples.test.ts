/**
 * The framework examples (examples/openai-agents, examples/langgraph
 * and examples/vercel-ai) end to end on the real
 * Temporal server and a real payments API: each pauses, finance and a manager approve, the
 * example resumes and reports the refund paid once by Gatehouse's executor.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refundThread } from '../../examples/langgraph/refund-graph';
import { refundConversation } from '../../examples/openai-agents/refund-agent';
import { refundChat } from '../../examples/vercel-ai/refund-chat';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';
import { startPaymentsApi, type PaymentsApi } from '../support/payments-api';

let api: PaymentsApi;
let h: Harness;
beforeAll(async () => {
  api = await startPaymentsApi();
  h = await createHarness({ paymentsUrl: api.url });
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
  await api?.close();
});

/** What the reviewers do while the example waits: finance, then a manager, approve. */
async function approveRefund(workflowIds: string[]): Promise<void> {
  expect(workflowIds).toHaveLength(1);
  const workflowId = workflowIds[0]!;
  const handle = h.client.workflow.getHandle(workflowId);
  await eventually(async () => ((await handle.query(getStateQuery)).status === 'awaiting_approval' ? true : undefined));
  for (const reviewer of [
    { id: 'carol', role: 'finance' },
    { id: 'dave', role: 'manager' },
  ]) {
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(workflowId, reviewer, 'approve')] });
  }
}

describe('framework examples', () => {
  it('examples/openai-agents: the agent resumes after the approvals and reads the refund Gatehouse paid', async () => {
    let waitedFor: string[] = [];
    const answer = await refundConversation(h.gatehouse, {
      conversation: `example-${Date.now()}`,
      storeDir: mkdtempSync(join(tmpdir(), 'gatehouse-example-agents-')),
      onPaused: async (ids) => {
        waitedFor = ids;
        expect(api.posts).not.toContain(expect.stringContaining(ids[0]!));
        await approveRefund(ids);
      },
    });
    const final = await (await h.gatehouse.getProposal(waitedFor[0]!)).result();
    expect(final.status).toBe('succeeded');
    expect(answer).toContain('"executed":true');
    expect(api.posts.filter((k) => k === final.execution!.idempotencyKey)).toHaveLength(1);
  });

  it('examples/langgraph: the re-run node attaches to the same run and returns the refund Gatehouse paid', async () => {
    let waitedFor: string[] = [];
    const result = await refundThread(h.gatehouse, `example-thread-${Date.now()}`, async (ids) => {
      waitedFor = ids;
      await approveRefund(ids);
    });
    const final = await (await h.gatehouse.getProposal(waitedFor[0]!)).result();
    expect(result).toMatchObject({ executed: true, status: 'succeeded', workflowId: waitedFor[0] });
    expect(api.posts.filter((k) => k === final.execution!.idempotencyKey)).toHaveLength(1);
  });

  it('examples/vercel-ai: the chat resumes after the approvals and the model reads the refund Gatehouse paid', async () => {
    let waitedFor: string[] = [];
    const text = await refundChat(h.gatehouse, `chat-${Date.now()}`, async (ids) => {
      waitedFor = ids;
      await approveRefund(ids);
    });
    const final = await (await h.gatehouse.getProposal(waitedFor[0]!)).result();
    expect(final.status).toBe('succeeded');
    expect(text).toContain('executed');
    expect(api.posts.filter((k) => k === final.execution!.idempotencyKey)).toHaveLength(1);
  });
});
