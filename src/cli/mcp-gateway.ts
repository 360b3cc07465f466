/**
 * `gatehouse mcp-gateway [--config FILE]`: an MCP server on stdin/stdout in front of the
 * downstream servers of the configuration (GATEHOUSE_MCP_CONFIG). An MCP client launches it as
 * its server; the launching user is the caller, and every gated call is a proposal signed with
 * GATEHOUSE_AGENT_KEY. Logs go to stderr: stdout is the protocol.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { loadMcpGatewayConfig, McpConfigError } from '../mcp/config';
import { startMcpGateway } from '../mcp/start';
import { SubjectIdSchema } from '../domain/subject';
import { createLogger } from '../observability/logger';
import { CliError, ExitCode, noAgentKey, type CliContext } from './context';

/** The OS user as a subject id; a name the id alphabet cannot hold is refused rather than guessed. */
function launchingUser(): string {
  const name = userInfo().username;
  const parsed = SubjectIdSchema.safeParse(name);
  if (!parsed.success) throw new CliError(`the user name "${name}" is not a valid caller id: set GATEHOUSE_MCP_CALLER`, ExitCode.usage);
  return parsed.data;
}

export async function mcpGatewayCommand(ctx: CliContext, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' } } });
  const file = values.config ?? ctx.config.GATEHOUSE_MCP_CONFIG;
  if (!file) throw new CliError('name the gateway configuration: --config FILE or GATEHOUSE_MCP_CONFIG', ExitCode.usage);
  if (!ctx.config.GATEHOUSE_AGENT_KEY) throw noAgentKey('every gated MCP call');
  let config;
  try {
    config = loadMcpGatewayConfig(file);
  } catch (err) {
    if (err instanceof McpConfigError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
  const logger = createLogger({ name: 'gatehouse-mcp-gateway', level: ctx.config.LOG_LEVEL, toStderr: true });
  const { client } = await ctx.connect();
  const gateway = await startMcpGateway({
    config,
    temporal: client,
    taskQueue: ctx.config.GATEHOUSE_TASK_QUEUE,
    agentKey: ctx.config.GATEHOUSE_AGENT_KEY,
    policiesDir: ctx.config.GATEHOUSE_POLICIES_DIR,
    caller: { id: ctx.config.GATEHOUSE_MCP_CALLER ?? launchingUser() },
    logger,
  });
  const closed = new Promise<void>((resolve) => {
    // The client ends the session by closing our stdin (MCP stdio transport), or stops us with a signal.
    process.stdin.once('end', resolve);
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await gateway.server.connect(new StdioServerTransport());
  await closed;
  await gateway.close();
}
