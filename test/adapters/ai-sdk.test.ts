/**
 * The Vercel AI SDK (ai 6.x) behind Gatehouse, on the real Temporal server with the SDK's own
 * mock model: the call stops for approval and becomes a run; the stored messages (JSON) resume
 * it with a fresh gate; approval gives the commit record, rejection the reason.
 */
import { generateText, type ModelMessage } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { AiSdkGate } from '../../src/adapters/ai-sdk';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { startService, type RunningService } from '../http/service';
import { createHarness, eventually, type Harness } from '../support/harness';
import { decideOverHttp, type HttpDecision } from './decide-over-http';

let h: Harness;
let service: RunningService;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  service = await startService(h);
});
afterAll(async () => {
  await service?.close();
  await h?.close();
});

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/** Calls the refund tool once, then repeats what the tool (or the denial) answered. */
function scriptedModel(toolCallId: string, orderId: string) {
  return new MockLanguageModelV3({
    doGenerate: ({ prompt }) => {
      const result = prompt.flatMap((m) => (m.role === 'tool' ? m.content : [])).find((p) => p.type === 'tool-result');
      if (!result)
        return Promise.resolve({
          content: [{ type: 'tool-call', toolCallId, toolName: 'refund', input: JSON.stringify({ orderId, amount: 42 }) }],
          finishReason: { unified: 'tool-calls', raw: undefined },
          usage,
          warnings: [],
        });
      return Promise.resolve({
        content: [{ type: 'text', text: `The refund tool answered: ${JSON.stringify(result.output)}` }],
        finishReason: { unified: 'stop', raw: undefined },
        usage,
        warnings: [],
      });
    },
  });
}

function buildTools(actionType = 'test.single') {
  const gate = new AiSdkGate({ gatehouse: h.gatehouse });
  const refund = gate.tool('refund', {
    description: 'Refund an order',
    inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
    actionType,
    proposal: (input) => ({
      params: {
        method: 'POST',
        url: `${h.target.url}/effects/${input.orderId}`,
        body: { amount: input.amount },
        verify: { url: `${h.target.url}/check/${input.orderId}` },
      },
      agent: { id: 'agent-7', name: 'Refund agent' },
      requestedBy: { id: 'peter' },
      summary: `Refund ${input.amount} on order ${input.orderId}`,
    }),
  });
  return { gate, tools: { refund } };
}

async function decide(workflowId: string, kind: 'approve' | 'reject', comment?: string): Promise<void> {
  const handle = h.client.workflow.getHandle(workflowId);
  await eventually(async () => ((await handle.query(getStateQuery)).status === 'awaiting_approval' ? true : undefined));
  await handle.executeUpdate(decideUpdate, {
    args: [await h.decision(workflowId, { id: 'bob', role: 'approver' }, kind, comment ? { comment } : {})],
  });
}

/** How a test decides a paused call's run: an Update as a test would, or the decision API as a reviewer does. */
type Decider = (workflowId: string) => Promise<void>;

async function pauseAndDecide(callId: string, decideRun: Decider, actionType?: string) {
  const orderId = `order-${callId}-${Date.now()}`;
  const first = buildTools(actionType);
  const messages: ModelMessage[] = [{ role: 'user', content: 'Refund my order' }];
  const stopped = await generateText({ model: scriptedModel(callId, orderId), tools: first.tools, messages });
  expect(stopped.content.some((p) => p.type === 'tool-approval-request')).toBe(true);
  const ids = await first.gate.pause(stopped.content);
  expect(ids).toHaveLength(1);
  // What the service stores: the conversation as JSON.
  const stored = JSON.stringify([...messages, ...stopped.response.messages]);
  await decideRun(ids[0]!);
  for await (const _run of h.gatehouse.waitForOutcomes(ids, { pollIntervalMs: 200 })) {
    // wait for the run to end
  }
  const second = buildTools(actionType);
  const history = JSON.parse(stored) as ModelMessage[];
  const resumed = await generateText({
    model: scriptedModel(callId, orderId),
    tools: second.tools,
    messages: [...history, await second.gate.answer(history)],
  });
  return { workflowId: ids[0]!, text: resumed.text };
}

const byUpdate =
  (kind: 'approve' | 'reject', comment?: string): Decider =>
  (workflowId) =>
    decide(workflowId, kind, comment);
const overHttp =
  (reviewer: string, decision: HttpDecision | ((params: Record<string, unknown>) => HttpDecision)): Decider =>
  async (workflowId) => {
    const { params } = (await h.client.workflow.getHandle(workflowId).query(getStateQuery)).proposal;
    await decideOverHttp(h, service, workflowId, reviewer, typeof decision === 'function' ? decision(params) : decision);
  };

describe('Vercel AI SDK adapter (ai 6.x)', () => {
  it('resumes an approved call with the commit record; the executor ran once', async () => {
    const { workflowId, text } = await pauseAndDecide('call_ai_approve', byUpdate('approve'));
    const final = await (await h.gatehouse.getProposal(workflowId)).result();
    expect(final.status).toBe('succeeded');
    expect(text).toContain('executed');
    expect(text).toContain(final.execution!.idempotencyKey);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
  });

  it('hands the model the reviewer’s reason for a rejected call', async () => {
    const { workflowId, text } = await pauseAndDecide('call_ai_reject', overHttp('bob', { kind: 'reject', comment: 'wrong customer' }));
    expect(text).toContain('rejected by bob: wrong customer');
    expect(h.target.posts.some((k) => k.includes(workflowId))).toBe(false);
  });
  it('gives the tool the edited arguments of an approval with edits made through the decision API', async () => {
    const body = { amount: 40, note: 'partial refund' };
    let edited: Record<string, unknown> = {};
    const { workflowId, text } = await pauseAndDecide(
      'call_ai_edit',
      overHttp('alice', (params) => {
        edited = { ...params, body };
        return { kind: 'approve_with_edits', editedParams: edited };
      }),
      'test.edits',
    );
    const final = await (await h.gatehouse.getProposal(workflowId)).result();
    expect(final.status).toBe('succeeded');
    expect(h.target.bodies.get(final.execution!.idempotencyKey)).toEqual(body);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
    // The scripted model repeats the tool's result: the edited arguments and the commit record.
    // The SDK wraps a tool's string result as `{ type: 'text', value }` in the prompt.
    const output = JSON.parse(text.replace(/^The refund tool answered: /, '')) as { type: string; value: string };
    expect(output.type).toBe('text');
    const answer = JSON.parse(output.value) as Record<string, unknown>;
    expect(answer).toMatchObject({
      executed: true,
      status: 'succeeded',
      workflowId,
      editedParams: edited,
      commit: final.execution!.commit,
    });
  });
});
