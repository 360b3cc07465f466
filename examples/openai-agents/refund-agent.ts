/**
 * An OpenAI Agents SDK agent whose refunds go through Gatehouse, against the dev stack, with a
 * scripted model (no network, no API key). Run it twice if you like: it pauses, you decide in
 * the dev inbox (or `gatehouse decide`), and it resumes, in this process or after a restart.
 *
 *   ./temporal-dev.sh up            # in another terminal: Temporal, worker, HTTP, inbox
 *   set -a; . .gatehouse/dev.env; set +a
 *   npx tsx examples/openai-agents/refund-agent.ts
 */
import { Agent, run, setTracingDisabled } from '@openai/agents';
import { z } from 'zod';
import { OpenAIAgentsGate } from 'gatehouse/adapters/openai-agents';
import { filePausedAgentStore } from 'gatehouse/adapters/state-store';
import { GatehouseClient } from 'gatehouse';
import { ScriptedModel } from './scripted-model';

export interface RefundConversationOptions {
  /** The conversation's key: its paused state is stored under it, so a second start resumes it. */
  conversation: string;
  storeDir: string;
  /** Told the runs the agent waits for, once it has paused (tell a person, say). */
  onPaused(workflowIds: string[]): void | Promise<void>;
}

/** Runs (or resumes) one refund conversation to its end and returns the agent's last answer. */
export async function refundConversation(gatehouse: GatehouseClient, options: RefundConversationOptions): Promise<string> {
  setTracingDisabled(true);
  const store = filePausedAgentStore(options.storeDir);
  const gate = new OpenAIAgentsGate({ gatehouse, store });
  const refund = gate.tool({
    name: 'refund',
    description: 'Refund a customer; a finance person and a manager approve it first.',
    parameters: z.object({ customerId: z.string(), amount: z.number(), currency: z.string(), reason: z.string() }),
    actionType: 'payment.refund',
    proposal: (args) => ({
      agent: { id: 'refund-agent', name: 'Refund agent' },
      requestedBy: { id: 'support-queue', name: 'Support queue', email: 'support-queue@example.com' },
      summary: `Refund ${args.currency} ${args.amount} to customer ${args.customerId}`,
      evidence: { rationale: args.reason, confidence: 0.9 },
    }),
  });
  const model = new ScriptedModel({
    name: 'refund',
    callId: `call_${options.conversation}`,
    arguments: { customerId: 'cus_123', amount: 42, currency: 'EUR', reason: 'Damaged on delivery' },
  });
  const agent = new Agent({ name: 'Refunds', instructions: 'Refund damaged deliveries.', model, tools: [refund] });

  // A conversation stored by an earlier start (the process was stopped while it waited) resumes.
  let waitingOn = (await store.get(options.conversation))?.workflowIds;
  if (!waitingOn) {
    const result = await run(agent, 'The parcel arrived broken; please refund me.');
    waitingOn = await gate.pause(options.conversation, result);
    if (waitingOn.length === 0) return String(result.finalOutput);
  }
  await options.onPaused(waitingOn);
  for await (const _ended of gatehouse.waitForOutcomes(waitingOn)) {
    // every run the agent waits for has to end before it resumes
  }
  const resumed = await run(agent, await gate.resume(options.conversation, agent));
  await gate.forget(options.conversation);
  return String(resumed.finalOutput);
}

async function main(): Promise<void> {
  const gatehouse = await GatehouseClient.connect({
    address: process.env['TEMPORAL_ADDRESS'] ?? '127.0.0.1:7233',
    ...(process.env['GATEHOUSE_AGENT_KEY'] ? { agentKey: process.env['GATEHOUSE_AGENT_KEY'] } : {}),
    ...(process.env['GATEHOUSE_PAYLOAD_KEYS'] ? { payloadKeys: process.env['GATEHOUSE_PAYLOAD_KEYS'] } : {}),
  });
  const answer = await refundConversation(gatehouse, {
    conversation: process.argv[2] ?? 'refund-conversation-1',
    storeDir: '.gatehouse/paused-agents',
    onPaused: (ids) =>
      void process.stdout.write(`paused; decide ${ids.join(', ')} in the dev inbox (http://127.0.0.1:1080) or with \`gatehouse decide\`\n`),
  });
  process.stdout.write(`${answer}\n`);
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
