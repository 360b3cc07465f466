/**
 * The executor of an `mcp.<server>.<tool>` action type: the commit is the downstream tool call,
 * made once per idempotency key with the approved arguments; verify reads the call record back.
 */
import { z } from 'zod';
import { CommitRejectedError, type Executor } from '../actions/executor';
import type { ActionType, ActionTypeRegistry } from '../actions/registry';
import type { CallStore } from './call-store';
import type { CatalogTool, McpCatalog } from './catalog';
import type { Downstream } from './downstream';

/** The tool's arguments; the downstream server validates them against its own input schema. */
export const McpToolParamsSchema = z.record(z.string(), z.unknown());
export type McpToolParams = z.infer<typeof McpToolParamsSchema>;

export interface McpExecutorDeps {
  downstream: Downstream;
  store: CallStore;
}

export function createMcpToolExecutor(tool: CatalogTool, deps: McpExecutorDeps): Executor<McpToolParams> {
  const recordOf = (result: Record<string, unknown>) => ({ server: tool.server, tool: tool.tool, result });
  return {
    async commit(params, ctx) {
      const { claimed, entry } = await deps.store.claim(ctx.idempotencyKey, tool.server, tool.tool);
      if (!claimed) {
        if (entry.status === 'done' && entry.result) return { record: recordOf(entry.result), alreadyApplied: true };
        // The claim is there but its result is not: a worker died during the call. MCP cannot be
        // asked whether the call happened, so a person decides rather than a second call.
        throw new CommitRejectedError(
          `an earlier attempt started ${tool.server}/${tool.tool} under ${ctx.idempotencyKey} and recorded no result; check the downstream server before running it again`,
        );
      }
      const result = (await deps.downstream.callTool(tool.server, tool.tool, params)) as Record<string, unknown>;
      await deps.store.complete(ctx.idempotencyKey, result);
      return { record: recordOf(result), alreadyApplied: false };
    },
    async verify(_params, _record, ctx) {
      const entry = await deps.store.get(ctx.idempotencyKey);
      return { ok: entry?.status === 'done', observed: entry ? { status: entry.status, at: entry.at } : null };
    },
    // A tool call has no generic undo.
    canRollback: () => false,
  };
}

/** Registers every catalog tool as an action type with its executor. */
export function registerMcpActionTypes(registry: ActionTypeRegistry, catalog: McpCatalog, deps: McpExecutorDeps): void {
  for (const tool of catalog.tools) {
    const type: ActionType<typeof McpToolParamsSchema> = {
      name: tool.actionType,
      paramsSchema: McpToolParamsSchema,
      executor: createMcpToolExecutor(tool, deps),
    };
    registry.register(type);
  }
}
