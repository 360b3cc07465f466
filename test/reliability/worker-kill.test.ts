/**
 * The worker process is SIGKILLed in the middle of the commit, 20 times, and every action's side
 * effect still happens exactly once. The target is naive (it applies every POST it accepts), so
 * only Gatehouse's same-key, check-before-retry commit stands between a kill and a duplicate.
 *
 * Needs `npm run build` (the test spawns `node dist/src/worker/main.js`).
 */
import { writeFigures } from './support/figures';
import { runKillLoop, type KillLoopReport } from './support/kill-loop';

const KILLS = 20;
let report: KillLoopReport;

beforeAll(async () => {
  const timeline: string[] = [];
  report = await runKillLoop({
    address: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!,
    kills: KILLS,
    runsPerKill: 2,
    log: (l) => timeline.push(l),
  });
  const { outcomes, ...counts } = report;
  writeFigures('worker-kill', { ...counts, timeline });
}, 600_000);

describe('worker SIGKILLed during the commit', () => {
  it('ends every run succeeded after the worker process is killed mid-commit 20 times', () => {
    expect(report.kills).toBe(KILLS);
    expect(report.runs).toBe(KILLS * 2);
    expect(report.outcomes.filter((o) => o.status !== 'succeeded')).toEqual([]);
    expect(report.lost).toBe(0);
  });

  it('applies exactly one effect per action, with no duplicate', () => {
    expect(report.outcomes.filter((o) => o.effects !== 1)).toEqual([]);
    expect(report.duplicates).toBe(0);
  });

  it('retries every interrupted commit: each run needed more than one commit attempt', () => {
    expect(report.outcomes.filter((o) => o.commitAttempts < 2)).toEqual([]);
    expect(report.interruptedCommits).toBeGreaterThanOrEqual(KILLS * 2);
    expect(report.interruptedTwice).toBeGreaterThan(0);
  });

  it('commits reviewed runs in a regular activity and auto-approved ones in a local step of their workflow task', () => {
    expect(report.outcomes.filter((o) => o.commitKind !== (o.reviewed ? 'activity' : 'local'))).toEqual([]);
  });

  it('notices each dead worker by the silence of what it held, not by the 30 s attempt timeout', () => {
    // A regular commit by its missing heartbeats; a local one by its workflow task's 10 s timeout.
    expect(report.outcomes.filter((o) => o.commitRetryCause !== (o.reviewed ? 'heartbeat' : 'workflow_task_timeout'))).toEqual([]);
  });

  it('finds an effect applied before the kill and does not send it again', () => {
    const afterEffect = report.outcomes.filter((o) => o.killPoint === 'after_effect');
    expect(afterEffect.length).toBeGreaterThanOrEqual(KILLS / 2);
    expect(afterEffect.filter((o) => o.posts !== 1)).toEqual([]);
  });

  it('sends a commit killed before its effect again, and it lands once', () => {
    const beforeEffect = report.outcomes.filter((o) => o.killPoint === 'before_effect');
    expect(beforeEffect.length).toBeGreaterThanOrEqual(KILLS / 2);
    expect(beforeEffect.filter((o) => o.posts < 2 || o.effects !== 1)).toEqual([]);
  });

  it('writes each audit entry once and keeps the audit chain intact', () => {
    expect(report.auditChainOk).toBe(true);
    expect(report.auditDuplicates).toBe(0);
  });
});
