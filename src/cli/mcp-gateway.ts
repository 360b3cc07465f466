/**
 * `gatehouse mcp-gateway [--config FILE] [--http HOST:PORT]`: an MCP server in front of the
 * downstream servers of the configuration (GATEHOUSE_MCP_CONFIG). On stdio (the default) an MCP
 * client launches it and the launching user is the caller; over streamable HTTP (`/mcp`) each
 * client authenticates with its bearer token and is the caller. Every gated call is a proposal
 * signed with GATEHOUSE_AGENT_KEY. Logs go to stderr: on stdio, stdout is the protocol.
 */
import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { SubjectIdSchema } from '../domain/subject';
import { loadMcpGatewayConfig, McpConfigError, type McpGatewayConfig } from '../mcp/config';
import { allowedHostnamesFor, createMcpHttpApp } from '../mcp/http';
import { startMcpGateway } from '../mcp/start';
import { createLogger } from '../observability/logger';
import { CliError, ExitCode, noAgentKey, type CliContext } from './context';

/** The OS user as a subject id; a name the id alphabet cannot hold is refused rather than guessed. */
function launchingUser(): string {
  const name = userInfo().username;
  const parsed = SubjectIdSchema.safeParse(name);
  if (!parsed.success) throw new CliError(`the user name "${name}" is not a valid caller id: set GATEHOUSE_MCP_CALLER`, ExitCode.usage);
  return parsed.data;
}

function listenAddress(spec: string): { host: string; port: number } {
  const match = /^(?:(.+):)?(\d{1,5})$/.exec(spec);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) throw new CliError(`--http takes HOST:PORT or PORT, not "${spec}"`, ExitCode.usage);
  return { host: match[1] ?? '127.0.0.1', port };
}

function readConfig(file: string): McpGatewayConfig {
  try {
    return loadMcpGatewayConfig(file);
  } catch (err) {
    if (err instanceof McpConfigError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
}

export async function mcpGatewayCommand(ctx: CliContext, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, http: { type: 'string' } } });
  const file = values.config ?? ctx.config.GATEHOUSE_MCP_CONFIG;
  if (!file) throw new CliError('name the gateway configuration: --config FILE or GATEHOUSE_MCP_CONFIG', ExitCode.usage);
  if (!ctx.config.GATEHOUSE_AGENT_KEY) throw noAgentKey('every gated MCP call');
  const config = readConfig(file);
  const address = values.http ? listenAddress(values.http) : undefined;
  if (address && !config.http)
    throw new CliError(`${file}: --http needs an http.clients list (client ids and token hashes)`, ExitCode.usage);
  const caller = address ? undefined : (ctx.config.GATEHOUSE_MCP_CALLER ?? launchingUser());

  const logger = createLogger({ name: 'gatehouse-mcp-gateway', level: ctx.config.LOG_LEVEL, toStderr: true });
  const { client } = await ctx.connect();
  const gateway = await startMcpGateway({
    config,
    temporal: client,
    taskQueue: ctx.config.GATEHOUSE_TASK_QUEUE,
    agentKey: ctx.config.GATEHOUSE_AGENT_KEY,
    policiesDir: ctx.config.GATEHOUSE_POLICIES_DIR,
    logger,
  });
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    // A stdio client ends the session by closing our stdin.
    if (caller) process.stdin.once('end', resolve);
  });
  let http: HttpServer | undefined;
  if (address && config.http) {
    const allowedHostnames = allowedHostnamesFor(address.host, config.http);
    http = createMcpHttpApp(gateway, config.http.clients, allowedHostnames ? { allowedHostnames } : {}).listen(address.port, address.host);
    await once(http, 'listening');
    logger.info({ address }, 'MCP gateway listening on /mcp');
  } else if (caller) {
    await gateway.serverFor({ id: caller }).connect(new StdioServerTransport());
  }
  await stopped;
  http?.close();
  await gateway.close();
}
