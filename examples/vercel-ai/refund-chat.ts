/**
 * A Vercel AI SDK (ai 6.x) chat whose refunds go through Gatehouse, against the dev stack, with
 * the SDK's mock model scripted to call the tool once (no network, no API key).
 *
 *   ./temporal-dev.sh up            # in another terminal
 *   set -a; . .gatehouse/dev.env; set +a
 *   npx tsx examples/vercel-ai/refund-chat.ts
 */
import { generateText, type ModelMessage } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { AiSdkGate } from 'gatehouse/adapters/ai-sdk';
import { GatehouseClient } from 'gatehouse';

const USAGE = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/** Calls the refund tool once, then repeats what the tool (or the denial) answered. */
function scriptedModel(toolCallId: string) {
  return new MockLanguageModelV3({
    doGenerate: ({ prompt }) => {
      const result = prompt.flatMap((m) => (m.role === 'tool' ? m.content : [])).find((p) => p.type === 'tool-result');
      return Promise.resolve(
        result
          ? {
              content: [{ type: 'text', text: `The refund tool answered: ${JSON.stringify(result.output)}` }],
              finishReason: { unified: 'stop', raw: undefined },
              usage: USAGE,
              warnings: [],
            }
          : {
              content: [
                {
                  type: 'tool-call',
                  toolCallId,
                  toolName: 'refund',
                  input: JSON.stringify({ customerId: 'cus_123', amount: 42, currency: 'EUR', reason: 'Damaged on delivery' }),
                },
              ],
              finishReason: { unified: 'tool-calls', raw: undefined },
              usage: USAGE,
              warnings: [],
            },
      );
    },
  });
}

/** One chat turn that asks for a refund: pauses for Gatehouse, resumes when the run has ended. */
export async function refundChat(
  gatehouse: GatehouseClient,
  chatId: string,
  onPaused: (workflowIds: string[]) => void | Promise<void>,
): Promise<string> {
  const gate = new AiSdkGate({ gatehouse });
  const tools = {
    refund: gate.tool('refund', {
      description: 'Refund a customer; a finance person and a manager approve it first.',
      inputSchema: z.object({ customerId: z.string(), amount: z.number(), currency: z.string(), reason: z.string() }),
      actionType: 'payment.refund',
      proposal: (input) => ({
        agent: { id: 'refund-agent', name: 'Refund agent' },
        requestedBy: { id: 'support-queue', name: 'Support queue', email: 'support-queue@example.com' },
        summary: `Refund ${input.currency} ${input.amount} to customer ${input.customerId}`,
        evidence: { rationale: input.reason, confidence: 0.9 },
      }),
    }),
  };
  const model = scriptedModel(`call_${chatId}`);
  const messages: ModelMessage[] = [{ role: 'user', content: 'The parcel arrived broken; please refund me.' }];
  const first = await generateText({ model, tools, messages });
  const ids = await gate.pause(first.content);
  if (ids.length === 0) return first.text;
  // What a service stores with the ids (JSON), and reads back to resume, maybe in another process.
  const stored = JSON.stringify([...messages, ...first.response.messages]);
  await onPaused(ids);
  for await (const _ended of gatehouse.waitForOutcomes(ids)) {
    // every run has to end before the chat resumes
  }
  const history = JSON.parse(stored) as ModelMessage[];
  const next = await generateText({ model, tools, messages: [...history, await gate.answer(history)] });
  return next.text;
}

async function main(): Promise<void> {
  const gatehouse = await GatehouseClient.connect({
    address: process.env['TEMPORAL_ADDRESS'] ?? '127.0.0.1:7233',
    ...(process.env['GATEHOUSE_AGENT_KEY'] ? { agentKey: process.env['GATEHOUSE_AGENT_KEY'] } : {}),
    ...(process.env['GATEHOUSE_PAYLOAD_KEYS'] ? { payloadKeys: process.env['GATEHOUSE_PAYLOAD_KEYS'] } : {}),
  });
  const text = await refundChat(
    gatehouse,
    process.argv[2] ?? `chat-${Date.now()}`,
    (ids) =>
      void process.stdout.write(`paused; decide ${ids.join(', ')} in the dev inbox (http://127.0.0.1:1080) or with \`gatehouse decide\`\n`),
  );
  process.stdout.write(`${text}\n`);
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
