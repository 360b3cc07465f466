/**
 * `gatehouse audit <workflowId> [--json]`   the audit record of one run
 * `gatehouse audit --since 7d --jsonl`      every run started in the window, one entry per line
 * `gatehouse audit verify`                  the log's hash chain, and its agreement with the runs still retained
 */
import { parseArgs } from 'node:util';
import { verifyLines, type ChainedLine } from '../audit/chain';
import { auditLogFromConfig } from '../audit/from-config';
import { auditEntries, buildAuditRecord, type AuditRecord } from '../audit/record';
import { canonicalJson } from '../domain/canonical-hash';
import type { ApprovalState } from '../domain/state';
import { terminalJson, terminalLine } from '../evidence/text';
import { CliError, ExitCode, type CliContext } from './context';
import { parseWindowMs, runsSince, runState } from './runs';

/** Agent and reviewer text reaches the terminal one line at a time, without control characters. */
const t = (value: unknown, max?: number): string =>
  terminalLine(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)), max);

function printRecord(ctx: CliContext, record: AuditRecord): void {
  ctx.out(`Audit of ${t(record.workflowId)}`);
  ctx.out(`  status           ${record.status}`);
  ctx.out(`  proposal hash    ${record.proposalHash}`);
  ctx.out(`  policy version   ${t(record.policyVersion ?? '(not evaluated)')}`);
  ctx.out(`  approved hash    ${record.approvedParamsHash}`);
  if (record.changesFromProposal.length > 0) {
    ctx.out('  approved version differs from the proposal:');
    for (const c of record.changesFromProposal)
      ctx.out(`    ${t(c.path)}: ${t(JSON.stringify(c.before) ?? 'undefined')} → ${t(JSON.stringify(c.after) ?? 'undefined')}`);
  }
  for (const e of record.entries) {
    const detail =
      e.kind === 'decision'
        ? `round ${t(e.data['round'])} ${t(e.data['reviewer'])} (${t(e.data['role'])}) ${t(e.data['decision'])}${e.data['comment'] ? `: ${t(e.data['comment'])}` : ''}`
        : e.kind === 'transition'
          ? `${t(e.data['from'])} → ${t(e.data['to'])}${e.data['note'] ? `  ${t(e.data['note'])}` : ''}`
          : t(canonicalJson(e.data), 100_000);
    ctx.out(`  ${t(e.at)}  ${e.kind.padEnd(10)} ${detail}`);
  }
}

async function exportWindow(ctx: CliContext, since: string): Promise<void> {
  const { client } = await ctx.connect();
  const skipped = (workflowId: string, reason: string) => process.stderr.write(`gatehouse: skipped ${workflowId}: ${reason}\n`);
  for await (const state of runsSince(client, ctx.config.GATEHOUSE_TASK_QUEUE, parseWindowMs(since), skipped)) {
    for (const entry of auditEntries(state)) ctx.out(terminalJson(entry, 0));
  }
}

async function verify(ctx: CliContext): Promise<void> {
  const log = auditLogFromConfig(ctx.config);
  let logged: ChainedLine[];
  try {
    logged = await log.read();
  } finally {
    await log.close?.();
  }
  const file = log.describe();
  const chain = verifyLines(logged);
  if (!chain.ok) throw new CliError(`audit log ${file} is broken at line ${chain.brokenAt}: ${chain.reason}`, ExitCode.failure);
  const { client } = await ctx.connect();
  let compared = 0;
  let gone = 0;
  for (const workflowId of new Set(logged.map((l) => l.workflowId))) {
    let state: ApprovalState;
    try {
      state = await runState(client, workflowId);
    } catch (err) {
      // Past the namespace's retention the log is all that is left; that is what it is for.
      if (err instanceof CliError && err.exitCode === ExitCode.notFound) {
        gone++;
        continue;
      }
      throw err;
    }
    const fromRun = new Map(auditEntries(state).map((e) => [e.entryId, canonicalJson(e)]));
    for (const line of logged.filter((l) => l.workflowId === workflowId)) {
      const { seq: _seq, prevHash: _prev, hash: _hash, ...entry } = line;
      const expected = fromRun.get(line.entryId);
      if (expected !== undefined && expected !== canonicalJson(entry)) {
        throw new CliError(`audit log line ${line.seq} (${line.entryId}) disagrees with the workflow`, ExitCode.failure);
      }
      if (expected !== undefined) compared++;
    }
  }
  ctx.out(
    `audit log ${file}: chain intact over ${chain.lines} entries; ${compared} entries agree with their runs; ${gone} runs no longer retained`,
  );
}

export async function auditCommand(ctx: CliContext, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, jsonl: { type: 'boolean' }, since: { type: 'string' } },
  });
  if (positionals[0] === 'verify') return verify(ctx);
  if (values.since) return exportWindow(ctx, values.since);
  const workflowId = positionals[0];
  if (!workflowId) throw new CliError('usage: gatehouse audit <workflowId> [--json] | --since 7d --jsonl | verify', ExitCode.usage);
  const { client } = await ctx.connect();
  const record = buildAuditRecord(await runState(client, workflowId));
  if (values.json) ctx.out(terminalJson(record));
  else printRecord(ctx, record);
}
