/**
 * What `gatehouse audit verify` can find wrong with the log, each finding with its own exit code
 * so a scheduled check can tell an operator which one it was. Pure: the caller reads the log, the
 * checkpoints and the runs Temporal still lists.
 */
import { isTerminal, StatusSchema } from '../domain/status';
import { verifyLines, type AuditKeyring, type ChainedLine } from './chain';
import { checkpointSignedBy, type Checkpoint } from './checkpoint';

export const AuditFinding = {
  chainBroken: 'chain_broken',
  tailTruncated: 'tail_truncated',
  rewritten: 'rewritten',
  checkpointForged: 'checkpoint_forged',
  runMissing: 'run_missing',
  runNotClosed: 'run_not_closed',
  disagreesWithRun: 'disagrees_with_run',
} as const;
export type AuditFinding = (typeof AuditFinding)[keyof typeof AuditFinding];

/** One row per finding: its exit code and what it means. The first finding in this order sets the exit code. */
export const AUDIT_FINDING_EXIT: Record<AuditFinding, { exitCode: number; meaning: string }> = {
  // An edited, removed or reordered line, or one keyed with a key the verifier does not hold.
  chain_broken: { exitCode: 10, meaning: 'a line was edited, removed or reordered' },
  // A checkpoint names a line past the end: lines were cut off the tail.
  tail_truncated: { exitCode: 11, meaning: 'lines were removed from the end of the log' },
  // The chain verifies but a signed checkpoint saw another hash: the file was rewritten and re-chained.
  rewritten: { exitCode: 12, meaning: 'the log was rewritten after a checkpoint' },
  // Someone wrote checkpoints to match their edit, without the worker's key.
  checkpoint_forged: { exitCode: 13, meaning: 'a checkpoint is not signed by a known checkpoint key' },
  // Temporal knows a run the log never heard of.
  run_missing: { exitCode: 14, meaning: 'a run Temporal lists has no entries in the log' },
  // The run ended but the log does not say how.
  run_not_closed: { exitCode: 15, meaning: 'a closed run has no final entry in the log' },
  disagrees_with_run: { exitCode: 16, meaning: 'a line disagrees with the run it describes' },
};

export interface Finding {
  finding: AuditFinding;
  detail: string;
}

export interface ChainReport {
  lines: number;
  unkeyed: number;
  checkpoints: number;
  /** Highest seq a valid checkpoint vouches for. */
  anchoredTo: number;
  findings: Finding[];
}

export function checkChain(
  lines: ChainedLine[],
  checkpoints: Checkpoint[],
  keys: { keyring?: AuditKeyring; publicKeys: Readonly<Record<string, string>> },
): ChainReport {
  const findings: Finding[] = [];
  const chain = verifyLines(lines, keys.keyring);
  if (!chain.ok) findings.push({ finding: AuditFinding.chainBroken, detail: `line ${chain.brokenAt}: ${chain.reason}` });
  let anchoredTo = 0;
  for (const cp of checkpoints) {
    if (!checkpointSignedBy(cp, keys.publicKeys)) {
      findings.push({ finding: AuditFinding.checkpointForged, detail: `checkpoint of line ${cp.seq} at ${cp.at} (key "${cp.keyId}")` });
      continue;
    }
    const line = lines[cp.seq - 1];
    if (!line) {
      findings.push({
        finding: AuditFinding.tailTruncated,
        detail: `checkpoint at ${cp.at} saw line ${cp.seq}; the log ends at line ${lines.length}`,
      });
    } else if (line.seq !== cp.seq || line.hash !== cp.head) {
      findings.push({ finding: AuditFinding.rewritten, detail: `line ${cp.seq} differs from its checkpoint of ${cp.at}` });
    } else anchoredTo = Math.max(anchoredTo, cp.seq);
  }
  return { lines: lines.length, unkeyed: chain.unkeyed, checkpoints: checkpoints.length, anchoredTo, findings: dedupe(findings) };
}

/** A hundred checkpoints past a cut tail are one finding each; the first few say enough. */
function dedupe(findings: Finding[]): Finding[] {
  const perKind = new Map<AuditFinding, number>();
  return findings.filter((f) => {
    const n = (perKind.get(f.finding) ?? 0) + 1;
    perKind.set(f.finding, n);
    return n <= 3;
  });
}

/** A run as Temporal's visibility lists it. */
export interface ListedRun {
  workflowId: string;
  startTime: Date;
  /** Temporal's execution status name: RUNNING, COMPLETED, TERMINATED, TIMED_OUT, … */
  status: string;
}

/** Whether the log says how the run ended: a transition into a final status, or a `terminated` entry. */
export function closesRun(line: Pick<ChainedLine, 'kind' | 'data'>): boolean {
  if (line.kind === 'terminated') return true;
  if (line.kind !== 'transition') return false;
  const to = StatusSchema.safeParse(line.data['to']);
  return to.success && isTerminal(to.data);
}

/** Closed statuses whose run has (or should have) a final entry; a continued run lives on in its successor. */
const CLOSED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

export function checkCoverage(lines: ChainedLine[], runs: ListedRun[], now: Date, graceMs: number): Finding[] {
  const logged = new Set<string>();
  const closed = new Set<string>();
  for (const l of lines) {
    logged.add(l.workflowId);
    if (closesRun(l)) closed.add(l.workflowId);
  }
  const findings: Finding[] = [];
  for (const run of runs) {
    if (now.getTime() - run.startTime.getTime() < graceMs) continue;
    if (!logged.has(run.workflowId))
      findings.push({
        finding: AuditFinding.runMissing,
        detail: `${run.workflowId} (${run.status}, started ${run.startTime.toISOString()})`,
      });
    else if (CLOSED.has(run.status) && !closed.has(run.workflowId))
      findings.push({ finding: AuditFinding.runNotClosed, detail: `${run.workflowId} (${run.status})` });
  }
  return findings;
}

/** The exit code of the worst finding (the table's order), 0 when there is none. */
export function exitCodeFor(findings: Finding[]): number {
  const order = Object.keys(AUDIT_FINDING_EXIT) as AuditFinding[];
  const worst = order.find((f) => findings.some((x) => x.finding === f));
  return worst ? AUDIT_FINDING_EXIT[worst].exitCode : 0;
}
