/** `gatehouse list [--status S] [--query Q]`: runs matching a Web UI list query (pending by default). */
import { parseArgs } from 'node:util';
import { StatusSchema } from '../domain/status';
import { terminalLine } from '../evidence/text';
import { CliError, ExitCode, type CliContext } from './context';

export async function listCommand(ctx: CliContext, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { status: { type: 'string' }, query: { type: 'string' }, json: { type: 'boolean' } } });
  let query = values.query;
  if (!query) {
    const status = StatusSchema.safeParse(values.status ?? 'awaiting_approval');
    if (!status.success) throw new CliError(`unknown status "${values.status}"; one of ${StatusSchema.options.join(', ')}`, ExitCode.usage);
    query = `GatehouseStatus = "${status.data}"`;
  }
  const { gatehouse } = await ctx.connect();
  const rows = await gatehouse.list(query);
  if (values.json) {
    ctx.out(JSON.stringify(rows));
    return;
  }
  // A run started directly through Temporal may carry any id: printed inert, like agent text.
  for (const row of rows) ctx.out([row.workflowId, row.status, row.actionType].map((field) => terminalLine(String(field))).join('\t'));
  if (rows.length === 0) ctx.out(`no runs match ${query}`);
}
