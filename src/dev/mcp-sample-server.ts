/**
 * The dev stack's sample downstream MCP server (stdio), which `./temporal-dev.sh up --demo` puts
 * behind the gateway: notes in memory, a read-only tool that passes through and a destructive
 * one that waits for a reviewer.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const NoteArgsSchema = z.object({ id: z.string().min(1).max(100) });
type NoteArgs = z.infer<typeof NoteArgsSchema>;

const notes = new Map<string, string>([
  ['groceries', 'buy milk, eggs and bread'],
  ['launch-plan', 'ship the release on Friday'],
]);
const idSchema = { type: 'object', properties: { id: { type: 'string', description: 'the note id' } }, required: ['id'] } as const;
const text = (t: string, isError = false): CallToolResult => ({ content: [{ type: 'text', text: t }], ...(isError ? { isError } : {}) });

const server = new Server({ name: 'notes', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: 'list_notes',
      description: 'Lists the note ids.',
      inputSchema: { type: 'object' },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    { name: 'read_note', description: 'Reads a note.', inputSchema: idSchema, annotations: { readOnlyHint: true, openWorldHint: false } },
    {
      name: 'delete_note',
      description: 'Deletes a note for good.',
      inputSchema: idSchema,
      annotations: { destructiveHint: true, openWorldHint: false },
    },
  ],
}));
server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
  if (request.params.name === 'list_notes') return text([...notes.keys()].join('\n') || '(no notes)');
  const parsed = NoteArgsSchema.safeParse(request.params.arguments ?? {});
  if (!parsed.success) return text(`invalid arguments: ${parsed.error.issues.map((i) => i.message).join('; ')}`, true);
  const { id }: NoteArgs = parsed.data;
  switch (request.params.name) {
    case 'read_note':
      return notes.has(id) ? text(notes.get(id)!) : text(`no note "${id}"`, true);
    case 'delete_note':
      return notes.delete(id) ? text(`deleted ${id}`) : text(`no note "${id}"`, true);
    default:
      return text(`unknown tool ${request.params.name}`, true);
  }
});

void server.connect(new StdioServerTransport());
