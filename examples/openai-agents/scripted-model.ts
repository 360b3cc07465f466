/**
 * A model that needs no network: it calls one tool, then answers with what the tool (or the
 * rejection) said. Enough to drive the Agents SDK's real runner, approvals and serialized state.
 */
import { Usage, type Model, type ModelRequest, type ModelResponse } from '@openai/agents';

export interface ScriptedCall {
  name: string;
  callId: string;
  arguments: Record<string, unknown>;
}

function textOf(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output && typeof output === 'object' && 'text' in output && typeof output.text === 'string') return output.text;
  return JSON.stringify(output);
}

export class ScriptedModel implements Model {
  constructor(private readonly call: ScriptedCall) {}

  getResponse(request: ModelRequest): Promise<ModelResponse> {
    const items = typeof request.input === 'string' ? [] : request.input;
    const answer = items.find((item) => item.type === 'function_call_result' && item.callId === this.call.callId);
    if (!answer || answer.type !== 'function_call_result') {
      return Promise.resolve({
        usage: new Usage(),
        output: [
          {
            type: 'function_call',
            callId: this.call.callId,
            name: this.call.name,
            arguments: JSON.stringify(this.call.arguments),
            status: 'completed',
          },
        ],
      });
    }
    return Promise.resolve({
      usage: new Usage(),
      output: [
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: `The ${this.call.name} tool answered: ${textOf(answer.output)}` }],
        },
      ],
    });
  }

  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('the scripted model does not stream');
  }
}
