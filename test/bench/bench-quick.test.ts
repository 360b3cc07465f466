/**
 * The bench (issue 7) is not part of the suite's figures: this only checks that its quick run
 * still works end to end against its own dev server — every run it starts passes its correctness
 * gate and the JSON carries the keys the issue names — and that bad arguments are refused. No
 * timing is asserted here; figures come from `npm run bench` on a quiet machine.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function bench(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', fail);
    child.once('close', (code) => ok({ code, stdout, stderr }));
  });
}

describe('npm run bench', () => {
  it('refuses arguments it does not know, or a pending count that is not a positive number, with its usage and exit code 2', async () => {
    for (const args of [['--pending', '-5'], ['--rate', 'fast'], ['--verbose']]) {
      const r = await bench(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('usage: npm run bench');
      expect(r.stdout).toBe('');
    }
  });

  it('runs --quick end to end: the correctness gate holds and the JSON has the keys issue 7 names', async () => {
    const r = await bench('--quick', '--json');
    if (r.code !== 0) throw new Error(`bench exited with ${r.code}:\n${r.stderr.slice(-3000)}`);
    const result = JSON.parse(r.stdout) as {
      correct: boolean;
      gate: {
        gatehouseStarted: number;
        gatehouseSucceeded: number;
        floorStarted: number;
        floorCompleted: number;
        duplicateCommits: number;
        missingCommits: number;
        auditChainOk: boolean;
      };
      floor: { signalToActivityMs: { n: number; p50: number } };
      gatehouse: { decisionToCommitMs: { sdk: { n: number; p50: number }; http: { n: number; p50: number } } };
      ratios: Record<string, number>;
      intervals: Record<'pendingP99VsEmpty' | 'floorPendingP99VsEmpty', { low: number; high: number }>;
      historyEvents: { single: number; dual: number; floor: number };
      pending: {
        n: number;
        workerRssMb: number;
        decisionLatencyP99Ms: number;
        floor: { n: number; decision: { updateToActivity: { n: number } } };
      };
    };
    expect(result.correct).toBe(true);
    expect(result.gate.gatehouseStarted).toBeGreaterThan(0);
    expect(result.gate.gatehouseSucceeded).toBe(result.gate.gatehouseStarted);
    expect(result.gate.floorCompleted).toBe(result.gate.floorStarted);
    expect(result.gate).toMatchObject({ duplicateCommits: 0, missingCommits: 0, auditChainOk: true });
    for (const key of ['decisionLatencyP50', 'decisionLatencyP99', 'throughput']) expect(result.ratios[key]).toBeGreaterThan(0);
    expect(result.floor.signalToActivityMs.n).toBeGreaterThan(0);
    expect(result.gatehouse.decisionToCommitMs.sdk.n).toBeGreaterThan(0);
    expect(result.gatehouse.decisionToCommitMs.http.n).toBeGreaterThan(0);
    // Fixed by the workflow code, up to when the round's background steps (the review mail, the
    // audit append) complete: under load either may share a workflow task with the decision (30
    // seen in a full suite run). More is a change to review.
    expect(result.historyEvents.floor).toBe(17);
    expect(result.historyEvents.single).toBeLessThanOrEqual(33);
    expect(result.historyEvents.single).toBeGreaterThanOrEqual(29);
    // Dual: one more than before, the marker of the audit append after the first approval (the
    // decision that leaves the round waiting is written when it happens).
    expect(result.historyEvents.dual).toBeLessThanOrEqual(39);
    expect(result.historyEvents.dual).toBeGreaterThanOrEqual(36);
    expect(result.pending.n).toBe(30);
    expect(result.pending.workerRssMb).toBeGreaterThan(0);
    expect(result.pending.decisionLatencyP99Ms).toBeGreaterThan(0);
    // The floor is held to the same waiting count, so the two figures with runs waiting compare.
    expect(result.pending.floor.n).toBe(30);
    expect(result.pending.floor.decision.updateToActivity.n).toBe(10);
    expect(result.ratios['floorPendingP99VsEmpty']).toBeGreaterThan(0);
    for (const { low, high } of Object.values(result.intervals)) {
      expect(low).toBeGreaterThan(0);
      expect(high).toBeGreaterThanOrEqual(low);
    }
  }, 300_000);
});
