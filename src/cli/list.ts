/** `gatehouse list [--status S] [--query Q]`: runs matching a Web UI list query (pending by default). */
import { parseArgs } from 'node:util';
import { StatusSchema } from '../domain/status';
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
  for (const row of rows) ctx.out(`${row.workflowId}\t${row.status}\t${row.actionType}`);
  if (rows.length === 0) ctx.out(`no runs match ${query}`);
}
