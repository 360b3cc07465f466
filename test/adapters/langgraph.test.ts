/**
 * LangGraph.js behind Gatehouse, on the real Temporal server with a graph that needs no model:
 * the node's interrupt waits for a run; a freshly compiled graph on the same checkpointer resumes
 * it once the run has ended, and the re-run node attaches to the same run.
 */
import { Annotation, Command, MemorySaver, START, END, StateGraph } from '@langchain/langgraph';
import { awaitedRunsOf, gatehouseInterrupt, resumeWhenEnded, type GatedActionResult } from '../../src/adapters/langgraph';
import type { ProposalInput } from '../../src/domain/proposal';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { startService, type RunningService } from '../http/service';
import { createHarness, eventually, type Harness } from '../support/harness';
import { decideOverHttp } from './decide-over-http';

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

const RefundState = Annotation.Root({
  amount: Annotation<number>,
  refund: Annotation<GatedActionResult | undefined>,
});

/** The graph a service compiles at start (again after a restart), over its checkpointer. */
function compile(checkpointer: MemorySaver, template: ProposalInput, passes: { count: number }) {
  return new StateGraph(RefundState)
    .addNode('gate', async (state, config) => {
      passes.count += 1;
      const { id: _id, ...action } = template;
      const params = { ...template.params, body: { amount: state.amount } };
      return { refund: await gatehouseInterrupt(h.gatehouse, { ...action, params }, config) };
    })
    .addEdge(START, 'gate')
    .addEdge('gate', END)
    .compile({ checkpointer });
}

async function awaiting(workflowId: string): Promise<void> {
  await eventually(async () =>
    (await h.client.workflow.getHandle(workflowId).query(getStateQuery)).status === 'awaiting_approval' ? true : undefined,
  );
}

describe('LangGraph.js adapter', () => {
  it('interrupts for a run, and resumes on approval with edits made through the decision API with the edited arguments, attached to the same run', async () => {
    const checkpointer = new MemorySaver();
    const passes = { count: 0 };
    const template = h.proposal('test.edits');
    const config = { configurable: { thread_id: `thread-${Date.now()}-edit` } };
    const paused = await compile(checkpointer, template, passes).invoke({ amount: 500 }, config);
    const ids = await awaitedRunsOf(compile(checkpointer, template, passes), config);
    expect(ids).toHaveLength(1);
    expect(paused.refund).toBeUndefined();
    const workflowId = ids[0]!;

    await awaiting(workflowId);
    const state = await h.client.workflow.getHandle(workflowId).query(getStateQuery);
    const edited = { ...state.proposal.params, body: { amount: 450, note: 'partial refund' } };
    // As a reviewer does: the edited version posted to the decision API with a signed link.
    await decideOverHttp(h, service, workflowId, 'alice', { kind: 'approve_with_edits', editedParams: edited });

    // A new graph object: only the checkpoint is shared with the one that paused.
    const graph = compile(checkpointer, template, passes);
    const resume = await resumeWhenEnded(graph, h.gatehouse, config, { pollIntervalMs: 200 });
    expect(resume).toBeDefined();
    const resumed = await graph.invoke(new Command({ resume }), config);
    expect(passes.count).toBe(2);
    expect(resumed?.refund).toMatchObject({ executed: true, status: 'succeeded', workflowId, params: edited, editedParams: edited });
    const final = await (await h.gatehouse.getProposal(workflowId)).result();
    expect(resumed?.refund?.commit).toEqual(final.execution!.commit);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
    expect(h.target.bodies.get(final.execution!.idempotencyKey)).toEqual({ amount: 450, note: 'partial refund' });
  });

  it('gives the node the reviewer’s reason on rejection and executes nothing', async () => {
    const checkpointer = new MemorySaver();
    const passes = { count: 0 };
    const config = { configurable: { thread_id: `thread-${Date.now()}-reject` } };
    const template = h.proposal('test.edits');
    const paused = await compile(checkpointer, template, passes).invoke({ amount: 80 }, config);
    expect(paused.refund).toBeUndefined();
    const [workflowId] = await awaitedRunsOf(compile(checkpointer, template, passes), config);
    await awaiting(workflowId!);
    await h.client.workflow.getHandle(workflowId!).executeUpdate(decideUpdate, {
      args: [await h.decision(workflowId!, { id: 'bob', role: 'approver' }, 'reject', { comment: 'wrong customer' })],
    });
    const graph = compile(checkpointer, template, passes);
    const resume = await resumeWhenEnded(graph, h.gatehouse, config, { pollIntervalMs: 200 });
    expect(resume).toBeDefined();
    const resumed = await graph.invoke(new Command({ resume }), config);
    expect(resumed?.refund).toMatchObject({ executed: false, status: 'rejected', reason: 'rejected by bob: wrong customer', workflowId });
    expect(h.target.posts.some((k) => k.includes(workflowId!))).toBe(false);
  });

  it('resumes nothing for a thread that waits for no run', async () => {
    const graph = compile(new MemorySaver(), h.proposal('test.edits'), { count: 0 });
    expect(await resumeWhenEnded(graph, h.gatehouse, { configurable: { thread_id: 'never-started' } })).toBeUndefined();
  });
});
