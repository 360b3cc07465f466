/**
 * `node dist/src/dev/mcp-demo.js DEV_DIR`: the MCP gateway's part of `./temporal-dev.sh up --demo`.
 * Writes the gateway configuration (the sample notes server, one HTTP client) and a copy of the
 * dev agent registry that adds the gateway's agent with the notes tools in scope; a copy, so the
 * stack without --demo (no MCP tools registered) still loads the plain registry. The client's
 * token is made once per checkout and printed on stdout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { AgentRegistryFileSchema } from '../policy/agents';

export const MCP_DEMO_AGENT = 'mcp-gateway';
const TOOLS = ['mcp.notes.list_notes', 'mcp.notes.read_note', 'mcp.notes.delete_note'];

function main(devDir: string): void {
  const tokenFile = join(devDir, 'mcp-demo-token');
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  const token = readFileSync(tokenFile, 'utf8').trim();

  const registry = AgentRegistryFileSchema.parse(parse(readFileSync(join(devDir, 'agents.yaml'), 'utf8')));
  const demoKey = registry.agents[0]?.keys;
  if (!demoKey) throw new Error(`${join(devDir, 'agents.yaml')} lists no agent whose key the gateway could share`);
  const agents = [
    ...registry.agents.filter((a) => a.id !== MCP_DEMO_AGENT),
    { id: MCP_DEMO_AGENT, name: 'MCP gateway (demo)', keys: demoKey, scope: TOOLS },
  ];
  writeFileSync(
    join(devDir, 'agents-mcp-demo.yaml'),
    `# Written by ./temporal-dev.sh up --demo: agents.yaml plus the MCP gateway's agent.\n${stringify({ agents })}`,
  );

  const config = {
    servers: { notes: { command: process.execPath, args: [resolve(__dirname, 'mcp-sample-server.js')] } },
    agent: { id: MCP_DEMO_AGENT, name: 'MCP gateway (demo)' },
    holdSeconds: 25,
    http: { clients: [{ id: 'demo-client', tokenSha256: createHash('sha256').update(token).digest('hex') }] },
    callsFile: join(devDir, 'mcp-calls.jsonl'),
  };
  writeFileSync(join(devDir, 'mcp-demo.yaml'), `# Written by ./temporal-dev.sh up --demo.\n${stringify(config)}`);
  process.stdout.write(`${token}\n`);
}

main(resolve(process.argv[2] ?? '.gatehouse'));
