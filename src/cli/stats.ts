/**
 * `gatehouse stats --since 7d [--json]`: the three tables risk owners graduate action types by.
 * Read from the audit log, not from Temporal: the log keeps runs past the namespace's retention,
 * and records the runs an operator terminated.
 */
import { parseArgs } from 'node:util';
import { auditLogFromConfig } from '../audit/from-config';
import { runsFromLog } from '../audit/log-runs';
import { computeStats, type Stats } from '../observability/stats';
import type { CliContext } from './context';
import { parseWindowMs } from './runs';

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);
const duration = (ms: number | null) =>
  ms === null ? '–' : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;

export function formatStats(stats: Stats): string[] {
  const lines = ['Median time to approval by action type', '  action type           runs  median'];
  for (const t of stats.byActionType)
    lines.push(`  ${t.actionType.padEnd(20)} ${String(t.runs).padStart(5)}  ${duration(t.medianTimeToApprovalMs)}`);
  lines.push('', 'Rejection rate by action type', '  action type          approved  rejected  rate');
  for (const t of stats.byActionType)
    lines.push(
      `  ${t.actionType.padEnd(20)} ${String(t.approved).padStart(8)}  ${String(t.rejected).padStart(8)}  ${pct(t.rejectionRate)}`,
    );
  lines.push('', 'Rejection rate by policy trigger', '  trigger              runs  rejected  rate');
  for (const t of stats.byTrigger)
    lines.push(`  ${t.trigger.padEnd(20)} ${String(t.runs).padStart(4)}  ${String(t.rejected).padStart(8)}  ${pct(t.rejectionRate)}`);
  lines.push('', 'Auto-approved', '  action type          runs  auto  share');
  for (const t of stats.byActionType)
    lines.push(
      `  ${t.actionType.padEnd(20)} ${String(t.runs).padStart(4)}  ${String(t.autoApproved).padStart(4)}  ${pct(t.autoApprovedShare)}`,
    );
  lines.push(
    `  ${'all'.padEnd(20)} ${String(stats.overall.runs).padStart(4)}  ${String(stats.overall.autoApproved).padStart(4)}  ${pct(stats.overall.autoApprovedShare)}`,
  );
  lines.push('', 'Expired without a decision (not counted as approvals)', '  action type          runs  approved by default  expired');
  for (const t of stats.byActionType)
    lines.push(
      `  ${t.actionType.padEnd(20)} ${String(t.runs).padStart(4)}  ${String(t.approvedOnExpiry).padStart(19)}  ${String(t.expired).padStart(7)}`,
    );
  lines.push('', 'Ended outside the workflow (terminated or timed out)', '  action type          runs  terminated');
  for (const t of stats.byActionType)
    lines.push(`  ${t.actionType.padEnd(20)} ${String(t.runs).padStart(4)}  ${String(t.terminated).padStart(10)}`);
  return lines;
}

export async function statsCommand(ctx: CliContext, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { since: { type: 'string', default: '7d' }, json: { type: 'boolean' } } });
  const since = new Date(Date.now() - parseWindowMs(values.since));
  const log = auditLogFromConfig({ ...ctx.config, GATEHOUSE_AUDIT_CHECKPOINT_KEY: undefined });
  let lines;
  try {
    lines = await log.read();
  } finally {
    await log.close?.();
  }
  const stats = computeStats(runsFromLog(lines, since));
  if (values.json) ctx.out(JSON.stringify(stats, null, 2));
  else for (const line of formatStats(stats)) ctx.out(line);
}
