/**
 * A LangGraph.js graph whose refund node waits for Gatehouse, against the dev stack; the graph
 * needs no model. The node proposes, the graph interrupts; once the run has ended the graph is
 * resumed and the re-run node attaches to the same run and reads its outcome.
 *
 *   ./temporal-dev.sh up            # in another terminal
 *   set -a; . .gatehouse/dev.env; set +a
 *   npx tsx examples/langgraph/refund-graph.ts
 *
 * MemorySaver keeps this demo's checkpoints in memory; a service uses a durable checkpointer
 * (SQLite, PostgreSQL) so a restarted process resumes the thread.
 */
import { Annotation, Command, END, MemorySaver, START, StateGraph, type BaseCheckpointSaver } from '@langchain/langgraph';
import { awaitedRunsOf, gatehouseInterrupt, resumeWhenEnded, type GatedActionResult } from 'gatehouse/adapters/langgraph';
import { GatehouseClient } from 'gatehouse';

const RefundState = Annotation.Root({
  customerId: Annotation<string>,
  amount: Annotation<number>,
  refund: Annotation<GatedActionResult | undefined>,
});

/** The refund graph: one node that waits for Gatehouse. Compile it again after a restart, over the same checkpointer. */
export function refundGraph(gatehouse: GatehouseClient, checkpointer: BaseCheckpointSaver) {
  return new StateGraph(RefundState)
    .addNode('gate', async (state, config) => ({
      refund: await gatehouseInterrupt(
        gatehouse,
        {
          actionType: 'payment.refund',
          params: { customerId: state.customerId, amount: state.amount, currency: 'EUR', reason: 'Damaged on delivery' },
          agent: { id: 'refund-agent', name: 'Refund agent' },
          requestedBy: { id: 'support-queue', name: 'Support queue', email: 'support-queue@example.com' },
          summary: `Refund EUR ${state.amount} to customer ${state.customerId}`,
          evidence: { rationale: 'Photos on the ticket show the damage.', confidence: 0.9 },
        },
        config,
      ),
    }))
    .addEdge(START, 'gate')
    .addEdge('gate', END)
    .compile({ checkpointer });
}

/** Starts a thread, waits for its run to end, resumes it; returns the node's result. */
export async function refundThread(
  gatehouse: GatehouseClient,
  threadId: string,
  onPaused: (workflowIds: string[]) => void | Promise<void>,
): Promise<GatedActionResult | undefined> {
  const checkpointer = new MemorySaver();
  const config = { configurable: { thread_id: threadId } };
  await refundGraph(gatehouse, checkpointer).invoke({ customerId: 'cus_123', amount: 42 }, config);
  // As a restarted process would: a new graph over the same checkpoints.
  const graph = refundGraph(gatehouse, checkpointer);
  await onPaused(await awaitedRunsOf(graph, config));
  const resume = await resumeWhenEnded(graph, gatehouse, config);
  if (!resume) return undefined;
  return (await graph.invoke(new Command({ resume }), config)).refund;
}

async function main(): Promise<void> {
  const gatehouse = await GatehouseClient.connect({
    address: process.env['TEMPORAL_ADDRESS'] ?? '127.0.0.1:7233',
    ...(process.env['GATEHOUSE_AGENT_KEY'] ? { agentKey: process.env['GATEHOUSE_AGENT_KEY'] } : {}),
    ...(process.env['GATEHOUSE_PAYLOAD_KEYS'] ? { payloadKeys: process.env['GATEHOUSE_PAYLOAD_KEYS'] } : {}),
  });
  const result = await refundThread(
    gatehouse,
    process.argv[2] ?? `refund-thread-${Date.now()}`,
    (ids) =>
      void process.stdout.write(
        `interrupted; decide ${ids.join(', ')} in the dev inbox (http://127.0.0.1:1080) or with \`gatehouse decide\`\n`,
      ),
  );
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
