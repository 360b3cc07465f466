/**
 * The tools the gateway offers: every downstream server's tools, each under a name prefixed with
 * its server (two servers may both have `search`) and an action type `mcp.<server>.<tool>` that
 * policies, agent scopes and the worker's registry know it by.
 */
import type { Tool, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { ActionTypeNameSchema } from '../domain/proposal';
import type { McpGatewayConfig } from './config';
import type { Downstream } from './downstream';

export interface CatalogTool {
  server: string;
  /** The tool's name on its server. */
  tool: string;
  /** The name MCP clients see: `<server>__<tool>` (clients accept [A-Za-z0-9_-] only), or the tool's own. */
  exposedName: string;
  actionType: string;
  /** The downstream definition as listed: description, schemas and annotations pass through. */
  definition: Tool;
}

export interface McpCatalog {
  tools: readonly CatalogTool[];
  byExposedName: ReadonlyMap<string, CatalogTool>;
  byActionType: ReadonlyMap<string, CatalogTool>;
}

/** Thrown when a downstream tool cannot get an action type of its own (too long, or two collide). */
export class McpCatalogError extends Error {
  override readonly name = 'McpCatalogError';
}

/** `mcp.<server>.<tool>` with the tool name folded to what an action type may hold. */
export function actionTypeFor(server: string, tool: string): string {
  let slug = tool.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!/^[a-z]/.test(slug)) slug = `t_${slug}`;
  return `mcp.${server}.${slug}`;
}

export function exposedNameFor(server: string, tool: string, prefix = true): string {
  return prefix ? `${server}__${tool}` : tool;
}

export function annotationsOf(tool: CatalogTool): ToolAnnotations {
  return tool.definition.annotations ?? {};
}

export function buildCatalog(listed: ReadonlyArray<{ server: string; tools: readonly Tool[]; prefix?: boolean }>): McpCatalog {
  const tools: CatalogTool[] = [];
  const byExposedName = new Map<string, CatalogTool>();
  const byActionType = new Map<string, CatalogTool>();
  const problems: string[] = [];
  for (const { server, tools: defs, prefix = true } of listed) {
    for (const definition of defs) {
      const entry: CatalogTool = {
        server,
        tool: definition.name,
        exposedName: exposedNameFor(server, definition.name, prefix),
        actionType: actionTypeFor(server, definition.name),
        definition,
      };
      if (!ActionTypeNameSchema.safeParse(entry.actionType).success) {
        problems.push(`${server}/${definition.name}: action type "${entry.actionType}" is too long or invalid`);
        continue;
      }
      const twin = byActionType.get(entry.actionType);
      if (twin) {
        problems.push(`${server}/${definition.name} and ${server}/${twin.tool} both map to action type "${entry.actionType}"`);
        continue;
      }
      // Two servers' tools under one name (unprefixed twins, or server `a_` with tool `_b` and
      // server `a` with tool `__b`): one would be unreachable, and a client could not tell which
      // one it called.
      const namesake = byExposedName.get(entry.exposedName);
      if (namesake) {
        problems.push(`${server}/${definition.name} and ${namesake.server}/${namesake.tool} are both listed as "${entry.exposedName}"`);
        continue;
      }
      tools.push(entry);
      byExposedName.set(entry.exposedName, entry);
      byActionType.set(entry.actionType, entry);
    }
  }
  if (problems.length > 0) throw new McpCatalogError(problems.join('; '));
  return { tools, byExposedName, byActionType };
}

/** Lists every configured server's tools; a server that cannot be reached stops the start. */
export async function discoverCatalog(config: Pick<McpGatewayConfig, 'servers'>, downstream: Downstream): Promise<McpCatalog> {
  const listed = await Promise.all(
    Object.entries(config.servers).map(async ([server, { prefix }]) => ({ server, prefix, tools: await downstream.listTools(server) })),
  );
  return buildCatalog(listed);
}
