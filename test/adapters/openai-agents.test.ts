/**
 * The OpenAI Agents SDK behind Gatehouse, on the real Temporal server with a scripted model: the
 * gated tool call pauses the agent and becomes a run; the agent is restored from its stored state
 * by a fresh gate and agent (as after a restart); the decision resumes it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, run, setTracingDisabled } from '@openai/agents';
import { z } from 'zod';
import { ScriptedModel } from '../../examples/openai-agents/scripted-model';
import { AgentResumeError, OpenAIAgentsGate } from '../../src/adapters/openai-agents';
import { filePausedAgentStore } from '../../src/adapters/state-store';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { startService, type RunningService } from '../http/service';
import { createHarness, eventually, type Harness } from '../support/harness';
import { decideOverHttp } from './decide-over-http';

let h: Harness;
let service: RunningService;
const storeDir = mkdtempSync(join(tmpdir(), 'gatehouse-agents-'));

beforeAll(async () => {
  setTracingDisabled(true);
  h = await createHarness();
  await h.startWorker();
  service = await startService(h);
});
afterAll(async () => {
  await service?.close();
  await h?.close();
});

/** What a service builds at start: the gate, its gated tool and the agent (built again after a restart). */
function buildAgent(callId: string, orderId: string, actionType = 'test.single') {
  const gate = new OpenAIAgentsGate({ gatehouse: h.gatehouse, store: filePausedAgentStore(storeDir) });
  const refund = gate.tool({
    name: 'refund',
    description: 'Refund an order',
    parameters: z.object({ orderId: z.string(), amount: z.number() }),
    actionType,
    proposal: (args) => ({
      params: {
        method: 'POST',
        url: `${h.target.url}/effects/${args.orderId}`,
        body: { amount: args.amount },
        verify: { url: `${h.target.url}/check/${args.orderId}` },
      },
      agent: { id: 'agent-7', name: 'Refund agent' },
      requestedBy: { id: 'peter', name: 'Peter Principal' },
      summary: `Refund ${args.amount} on order ${args.orderId}`,
    }),
  });
  const model = new ScriptedModel({ name: 'refund', callId, arguments: { orderId, amount: 42 } });
  const agent = new Agent({ name: 'Refunds', instructions: 'Refund when asked.', model, tools: [refund] });
  return { gate, agent };
}

async function decide(workflowId: string, kind: 'approve' | 'reject', comment?: string): Promise<void> {
  await eventually(async () =>
    (await h.client.workflow.getHandle(workflowId).query(getStateQuery)).status === 'awaiting_approval' ? true : undefined,
  );
  await h.client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, {
    args: [await h.decision(workflowId, { id: 'bob', role: 'approver' }, kind, comment ? { comment } : {})],
  });
}

async function untilEnded(ids: string[]): Promise<void> {
  for await (const _run of h.gatehouse.waitForOutcomes(ids, { pollIntervalMs: 200 })) {
    // each id is yielded once, when its run ends
  }
}

describe('OpenAI Agents SDK adapter', () => {
  it('pauses at the gated tool, resumes after a restart on approval, and the model sees the commit record', async () => {
    const orderId = `order-${Date.now()}`;
    const first = buildAgent('call_approve_1', orderId);
    const paused = await run(first.agent, 'Refund order please');
    expect(paused.interruptions).toHaveLength(1);
    const ids = await first.gate.pause('conversation-approve', paused);
    expect(ids).toHaveLength(1);
    // Pausing again (a retried request) meets the same run.
    expect(await first.gate.pause('conversation-approve', paused)).toEqual(ids);
    await expect(first.gate.resume('conversation-approve', first.agent)).rejects.toThrow(AgentResumeError);

    await decide(ids[0]!, 'approve');
    await untilEnded(ids);

    // A new gate, tool and agent: nothing of the first survives but the stored state.
    const second = buildAgent('call_approve_1', orderId);
    const state = await second.gate.resume('conversation-approve', second.agent);
    const resumed = await run(second.agent, state);
    const final = await h.gatehouse.getProposal(ids[0]!).then((r) => r.result());
    expect(final.status).toBe('succeeded');
    expect(Object.keys(final.execution!.commit ?? {}).length).toBeGreaterThan(0);
    const output = String(resumed.finalOutput);
    expect(output).toContain('"executed":true');
    expect(output).toContain(JSON.stringify(final.execution!.commit).slice(1, -1));
    // The executor ran once; the tool only read the run.
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
    expect(h.target.posts.filter((k) => k === final.execution!.idempotencyKey)).toHaveLength(1);
    await second.gate.forget('conversation-approve');
  });

  it('tells the model the reviewer’s reason on rejection and executes nothing', async () => {
    const orderId = `order-${Date.now()}-r`;
    const first = buildAgent('call_reject_1', orderId);
    const paused = await run(first.agent, 'Refund order please');
    const ids = await first.gate.pause('conversation-reject', paused);
    await decide(ids[0]!, 'reject', 'wrong customer');
    await untilEnded(ids);

    const second = buildAgent('call_reject_1', orderId);
    const resumed = await run(second.agent, await second.gate.resume('conversation-reject', second.agent));
    expect(String(resumed.finalOutput)).toContain('rejected by bob: wrong customer');
    expect(h.target.posts.some((k) => k.includes(ids[0]!))).toBe(false);
  });
  it('resumes on approval with edits given through the decision API: the executor and the tool’s result carry the edited arguments', async () => {
    const orderId = `order-${Date.now()}-e`;
    const first = buildAgent('call_edit_1', orderId, 'test.edits');
    const ids = await first.gate.pause('conversation-edit', await run(first.agent, 'Refund order please'));
    expect(ids).toHaveLength(1);
    const workflowId = ids[0]!;
    const { params } = await h.client.workflow
      .getHandle(workflowId)
      .query(getStateQuery)
      .then((s) => s.proposal);
    const edited = { ...params, body: { amount: 40, note: 'partial refund' } };
    await decideOverHttp(h, service, workflowId, 'alice', { kind: 'approve_with_edits', editedParams: edited });
    await untilEnded(ids);

    const second = buildAgent('call_edit_1', orderId, 'test.edits');
    const resumed = await run(second.agent, await second.gate.resume('conversation-edit', second.agent));
    const final = await (await h.gatehouse.getProposal(workflowId)).result();
    expect(final.status).toBe('succeeded');
    expect(h.target.bodies.get(final.execution!.idempotencyKey)).toEqual({ amount: 40, note: 'partial refund' });
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
    // The scripted model repeats the tool's answer: the result the tool gave it.
    const answer = JSON.parse(String(resumed.finalOutput).replace(/^.*? answered: /s, '')) as Record<string, unknown>;
    expect(answer).toMatchObject({
      executed: true,
      status: 'succeeded',
      workflowId,
      editedParams: edited,
      commit: final.execution!.commit,
    });
    await second.gate.forget('conversation-edit');
  });
});
