/** `gatehouse stats --since 7d [--json]`: the three tables risk owners graduate action types by. */
import { parseArgs } from 'node:util';
import type { ApprovalState } from '../domain/state';
import { computeStats, type Stats } from '../observability/stats';
import { getStateQuery } from '../../workflows/messages';
import { CliError, ExitCode, type CliContext } from './context';

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);
const duration = (ms: number | null) => (ms === null ? '–' : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`);

export function formatStats(stats: Stats): string[] {
  const lines = ['Median time to approval by action type', '  action type           runs  median'];
  for (const t of stats.byActionType) lines.push(`  ${t.actionType.padEnd(20)} ${String(t.runs).padStart(5)}  ${duration(t.medianTimeToApprovalMs)}`);
  lines.push('', 'Rejection rate by action type', '  action type          approved  rejected  rate');
  for (const t of stats.byActionType) lines.push(`  ${t.actionType.padEnd(20)} ${String(t.approved).padStart(8)}  ${String(t.rejected).padStart(8)}  ${pct(t.rejectionRate)}`);
  lines.push('', 'Rejection rate by policy trigger', '  trigger              runs  rejected  rate');
  for (const t of stats.byTrigger) lines.push(`  ${t.trigger.padEnd(20)} ${String(t.runs).padStart(4)}  ${String(t.rejected).padStart(8)}  ${pct(t.rejectionRate)}`);
  lines.push('', 'Auto-approved', '  action type          runs  auto  share');
  for (const t of stats.byActionType) lines.push(`  ${t.actionType.padEnd(20)} ${String(t.runs).padStart(4)}  ${String(t.autoApproved).padStart(4)}  ${pct(t.autoApprovedShare)}`);
  lines.push(`  ${'all'.padEnd(20)} ${String(stats.overall.runs).padStart(4)}  ${String(stats.overall.autoApproved).padStart(4)}  ${pct(stats.overall.autoApprovedShare)}`);
  return lines;
}

export async function statsCommand(ctx: CliContext, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { since: { type: 'string', default: '7d' }, json: { type: 'boolean' } } });
  const match = /^(\d+)([hd])$/.exec(values.since);
  if (!match) throw new CliError(`--since takes a window such as 24h or 7d, not "${values.since}"`, ExitCode.usage);
  const start = new Date(Date.now() - Number(match[1]) * (match[2] === 'h' ? 3_600_000 : 86_400_000)).toISOString();
  const { client } = await ctx.connect();
  const states: ApprovalState[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = "approvalWorkflow" AND StartTime > "${start}"` })) {
    const handle = client.workflow.getHandle(wf.workflowId);
    states.push(wf.status.name === 'RUNNING' ? await handle.query(getStateQuery) : ((await handle.result().catch(() => undefined)) as ApprovalState));
  }
  const stats = computeStats(states.filter((s) => s?.proposal));
  if (values.json) ctx.out(JSON.stringify(stats, null, 2));
  else for (const line of formatStats(stats)) ctx.out(line);
}
