/**
 * Soak: the worker-kill experiment at a larger count (100 SIGKILLs of the worker process during
 * the commit by default; GATEHOUSE_SOAK_KILLS sets another). Not part of the suite. Run it with
 *
 *   npm run build && npx jest --testMatch '<rootDir>/test/reliability/*.soak.ts' --testTimeout 3600000
 *
 * It prints one line per kill and the counts at the end, and writes them to
 * test-artifacts/reliability/soak.json. About 5 s per kill on a 2-core machine, plus the 10 s heartbeat
 * timeout at the end.
 */
import { writeFigures } from './support/figures';
import { runKillLoop, type KillLoopReport } from './support/kill-loop';

const KILLS = Number(process.env['GATEHOUSE_SOAK_KILLS'] ?? 100);
let report: KillLoopReport;

beforeAll(async () => {
  report = await runKillLoop({
    address: process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!,
    kills: KILLS,
    runsPerKill: 2,
    finishTimeoutMs: 300_000,
    log: (line) => process.stdout.write(`soak ${new Date().toISOString()} ${line}\n`),
  });
  const { outcomes, ...counts } = report;
  const file = writeFigures('soak', counts);
  process.stdout.write(
    `soak result: kills survived ${report.kills}, runs ${report.runs}, succeeded ${report.succeeded}, ` +
      `duplicates ${report.duplicates}, lost ${report.lost}, interrupted commit attempts ${report.interruptedCommits}, ` +
      `runs interrupted twice or more ${report.interruptedTwice}, audit chain ${report.auditChainOk ? 'intact' : 'BROKEN'} (${file})\n`,
  );
});

describe(`soak: ${KILLS} worker kills during the commit`, () => {
  it('loses no run and duplicates no effect', () => {
    expect(report.kills).toBe(KILLS);
    expect(report.outcomes.filter((o) => o.status !== 'succeeded' || o.effects !== 1)).toEqual([]);
    expect(report.duplicates).toBe(0);
    expect(report.lost).toBe(0);
  });

  it('keeps the audit chain intact with every entry once', () => {
    expect(report.auditChainOk).toBe(true);
    expect(report.auditDuplicates).toBe(0);
  });
});
