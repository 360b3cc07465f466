/**
 * `gatehouse audit <workflowId> [--json]`   the audit record of one run
 * `gatehouse audit --since 7d --jsonl`      every run started in the window, one entry per line
 * `gatehouse audit verify`                  the log's keyed chain, its signed checkpoints, and its agreement with the runs still retained
 * `gatehouse audit sweep`                   records terminated and timed-out runs the log has not closed
 */
import { parseArgs } from 'node:util';
import type { ChainedLine } from '../audit/chain';
import { CheckpointFormatError, type Checkpoint } from '../audit/checkpoint';
import { auditLogFromConfig, checkpointPublicKeys, checkpointStoreFromConfig } from '../audit/from-config';
import { sweepTerminatedRuns } from '../audit/sweep';
import { AUDIT_FINDING_EXIT, AuditFinding, checkChain, checkCoverage, exitCodeFor, type Finding, type ListedRun } from '../audit/verify';
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

/** Every run of this deployment's task queue that Temporal still retains. */
async function listedRuns(ctx: CliContext): Promise<ListedRun[]> {
  const { client } = await ctx.connect();
  const runs: ListedRun[] = [];
  const query = `WorkflowType = "approvalWorkflow" AND TaskQueue = "${ctx.config.GATEHOUSE_TASK_QUEUE}"`;
  for await (const wf of client.workflow.list({ query }))
    runs.push({ workflowId: wf.workflowId, startTime: wf.startTime, status: wf.status.name });
  return runs;
}

/** Lines of runs Temporal still retains that disagree with what the run's state says today. */
async function disagreements(ctx: CliContext, logged: ChainedLine[]): Promise<{ compared: number; gone: number; findings: Finding[] }> {
  const { client } = await ctx.connect();
  let compared = 0;
  let gone = 0;
  const findings: Finding[] = [];
  for (const workflowId of new Set(logged.filter((l) => l.kind !== 'terminated').map((l) => l.workflowId))) {
    let state: ApprovalState;
    try {
      state = await runState(client, workflowId);
    } catch {
      // Past the namespace's retention the log is all that is left; that is what it is for. A
      // terminated run has no result to compare with either.
      gone++;
      continue;
    }
    const fromRun = new Map(auditEntries(state).map((e) => [e.entryId, canonicalJson(e)]));
    for (const line of logged.filter((l) => l.workflowId === workflowId)) {
      const { seq: _seq, prevHash: _prev, hash: _hash, keyId: _keyId, ...entry } = line;
      const expected = fromRun.get(line.entryId);
      if (expected !== undefined && expected !== canonicalJson(entry))
        findings.push({ finding: AuditFinding.disagreesWithRun, detail: `line ${line.seq} (${t(line.entryId)})` });
      if (expected !== undefined) compared++;
    }
  }
  return { compared, gone, findings };
}

async function verify(ctx: CliContext): Promise<void> {
  const log = auditLogFromConfig({ ...ctx.config, GATEHOUSE_AUDIT_CHECKPOINT_KEY: undefined });
  const store = checkpointStoreFromConfig(ctx.config);
  let logged: ChainedLine[];
  let checkpoints: Checkpoint[];
  try {
    logged = await log.read();
    checkpoints = await store.read();
  } catch (err) {
    if (err instanceof CheckpointFormatError) throw new CliError(err.message, AUDIT_FINDING_EXIT.checkpoint_forged.exitCode);
    throw err;
  } finally {
    await log.close?.();
    await store.close?.();
  }
  const publicKeys = checkpointPublicKeys(ctx.config);
  const report = checkChain(logged, checkpoints, {
    ...(ctx.config.GATEHOUSE_AUDIT_KEYS ? { keyring: ctx.config.GATEHOUSE_AUDIT_KEYS } : {}),
    publicKeys,
  });
  const coverage = checkCoverage(logged, await listedRuns(ctx), new Date(), ctx.config.GATEHOUSE_AUDIT_GRACE_MS);
  const runs = await disagreements(ctx, logged);
  const findings = [...report.findings, ...coverage, ...runs.findings];

  ctx.out(`audit log ${log.describe()}: ${report.lines} lines, ${report.unkeyed} of them unkeyed (written before the audit key)`);
  if (checkpoints.length === 0) ctx.out(`  no checkpoints in ${store.describe()}: a cut tail would go unnoticed`);
  else if (Object.keys(publicKeys).length === 0) ctx.out('  checkpoints not checked: set GATEHOUSE_AUDIT_CHECKPOINT_PUBLIC_KEYS');
  else ctx.out(`  ${report.checkpoints} checkpoints in ${store.describe()}; signed checkpoints vouch for lines 1–${report.anchoredTo}`);
  ctx.out(`  ${runs.compared} entries agree with their runs; ${runs.gone} runs no longer retained`);
  for (const f of findings)
    ctx.out(
      `  FINDING ${f.finding} (exit ${AUDIT_FINDING_EXIT[f.finding].exitCode}): ${AUDIT_FINDING_EXIT[f.finding].meaning}: ${f.detail}`,
    );
  const exitCode = exitCodeFor(findings);
  if (exitCode !== 0)
    throw new CliError(`audit log ${log.describe()}: ${findings.length} finding(s), first ${findings[0]!.finding}`, exitCode);
  ctx.out('  chain intact');
}

async function sweep(ctx: CliContext): Promise<void> {
  const { client } = await ctx.connect();
  const log = auditLogFromConfig(ctx.config);
  try {
    const result = await sweepTerminatedRuns({ client, taskQueue: ctx.config.GATEHOUSE_TASK_QUEUE, log });
    for (const id of result.recorded) ctx.out(`recorded ${t(id)} as terminated`);
    ctx.out(`${result.recorded.length} terminated or timed-out runs newly recorded`);
  } finally {
    await log.close?.();
  }
}

export async function auditCommand(ctx: CliContext, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, jsonl: { type: 'boolean' }, since: { type: 'string' } },
  });
  if (positionals[0] === 'verify') return verify(ctx);
  if (positionals[0] === 'sweep') return sweep(ctx);
  if (values.since) return exportWindow(ctx, values.since);
  const workflowId = positionals[0];
  if (!workflowId) throw new CliError('usage: gatehouse audit <workflowId> [--json] | --since 7d --jsonl | verify | sweep', ExitCode.usage);
  const { client } = await ctx.connect();
  const record = buildAuditRecord(await runState(client, workflowId));
  if (values.json) ctx.out(terminalJson(record));
  else printRecord(ctx, record);
}
