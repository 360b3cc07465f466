/** The MCP gateway configuration the bench's worker process and driver share (bench/mcp.ts). */
import { join, resolve } from 'node:path';

export const SERVER = resolve(__dirname, 'mcp-server.ts');
export const AGENT = 'bench-agent';

/** The gateway configuration the worker process and this process share. */
export function benchMcpConfig(dir: string): Record<string, unknown> {
  return {
    // tsx from this checkout: the worker process runs elsewhere, so the server's cwd is named.
    servers: { bench: { command: process.execPath, args: ['--import', 'tsx', SERVER], cwd: resolve(__dirname, '..') } },
    agent: { id: AGENT, name: 'Bench agent' },
    holdSeconds: 60,
    callsFile: join(dir, 'mcp-calls.jsonl'),
  };
}
