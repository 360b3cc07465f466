/**
 * A small downstream MCP server over stdio for the gateway tests: a read-only tool, a destructive
 * one and one the tests' policy denies. Every call is appended to NOTES_CALL_LOG, so a test can
 * count the calls each process (gateway or worker) made.
 */
import { appendFileSync } from 'node:fs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const log = process.env['NOTES_CALL_LOG'];
const idSchema = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

const server = new Server({ name: 'notes', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: 'read_note',
      description: 'Reads a note.',
      inputSchema: idSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    {
      name: 'delete_note',
      description: 'Deletes a note for good.',
      inputSchema: idSchema,
      outputSchema: { type: 'object', properties: { deleted: { type: 'string' } }, required: ['deleted'] },
      annotations: { destructiveHint: true, openWorldHint: false },
    },
    { name: 'launch_rockets', description: 'Not for agents.', inputSchema: idSchema, annotations: { destructiveHint: true } },
  ],
}));
server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const args = request.params.arguments ?? {};
  if (log) appendFileSync(log, `${JSON.stringify({ tool: request.params.name, args, pid: process.pid })}\n`);
  const id = String(args['id']);
  switch (request.params.name) {
    case 'read_note':
      return { content: [{ type: 'text', text: `note ${id}: buy milk` }] };
    case 'delete_note':
      return { content: [{ type: 'text', text: `deleted ${id}` }], structuredContent: { deleted: id } };
    default:
      return { content: [{ type: 'text', text: `unknown tool ${request.params.name}` }], isError: true };
  }
});

void server.connect(new StdioServerTransport());
