/**
 * The bench's downstream MCP server over stdio: a read-only `lookup` (passes through the gateway)
 * and a `record` with effects (a run, auto-approved by bench/policies). Both answer at once, so
 * the figures are the gateway's and Gatehouse's own cost, not the tool's.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const idSchema = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

const server = new Server({ name: 'bench', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    { name: 'lookup', description: 'Reads a record.', inputSchema: idSchema, annotations: { readOnlyHint: true, openWorldHint: false } },
    { name: 'record', description: 'Writes a record.', inputSchema: idSchema, annotations: { readOnlyHint: false, openWorldHint: false } },
  ],
}));
server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const id = String(request.params.arguments?.['id']);
  return { content: [{ type: 'text', text: `${request.params.name} ${id}` }] };
});

void server.connect(new StdioServerTransport());
