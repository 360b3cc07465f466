/**
 * A downstream MCP server (stdio) with the tools the official conformance suite for servers calls
 * by name (@modelcontextprotocol/conformance, as its reference "everything" server has them), so
 * that the suite can run against the gateway in front of it (test/mcp/conformance.test.ts). Only
 * the tools whose scenarios apply to a gateway are here; see test/mcp/conformance-baseline.yml.
 *
 * Tools that are read-only say so and pass through the gateway; the others carry no annotations
 * and are gated (the test's policies let them auto-approve, so they commit through a run).
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';

// A 1x1 red PNG and a 1-sample silent WAV: the smallest valid media.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';
const WAV = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQIAAAAAAA==';

const noArgs = { type: 'object', properties: {} } as const;
const readOnly = { readOnlyHint: true, openWorldHint: false };

const tools: Tool[] = [
  { name: 'test_simple_text', description: 'Returns a simple text.', inputSchema: noArgs, annotations: readOnly },
  { name: 'test_image_content', description: 'Returns an image.', inputSchema: noArgs },
  { name: 'test_audio_content', description: 'Returns an audio clip.', inputSchema: noArgs },
  { name: 'test_embedded_resource', description: 'Returns an embedded resource.', inputSchema: noArgs },
  { name: 'test_multiple_content_types', description: 'Returns text, an image and a resource.', inputSchema: noArgs },
  { name: 'test_error_handling', description: 'Always fails.', inputSchema: noArgs },
  { name: 'test_tool_with_progress', description: 'Reports progress 0, 50, 100.', inputSchema: noArgs, annotations: readOnly },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    },
    annotations: readOnly,
  },
];

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const server = new Server({ name: 'conformance-fixture', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
  switch (request.params.name) {
    case 'test_simple_text':
      return { content: [{ type: 'text', text: 'This is a simple text response for testing.' }] };
    case 'test_image_content':
      return { content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] };
    case 'test_audio_content':
      return { content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] };
    case 'test_embedded_resource':
      return {
        content: [
          {
            type: 'resource',
            resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' },
          },
        ],
      };
    case 'test_multiple_content_types':
      return {
        content: [
          { type: 'text', text: 'Multiple content types test:' },
          { type: 'image', data: PNG, mimeType: 'image/png' },
          {
            type: 'resource',
            resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' },
          },
        ],
      };
    case 'test_error_handling':
      return { content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }], isError: true };
    case 'test_tool_with_progress': {
      const progressToken = request.params._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (progressToken !== undefined) {
          await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total: 100 } });
        }
        if (progress < 100) await pause(50);
      }
      return { content: [{ type: 'text', text: 'Progress reported: 0, 50, 100 of 100.' }] };
    }
    default:
      return { content: [{ type: 'text', text: `unknown tool ${request.params.name}` }], isError: true };
  }
});

void server.connect(new StdioServerTransport());
