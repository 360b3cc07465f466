/**
 * Where the time of a run without a human goes, from the server's own event timestamps:
 * `npx tsx bench/history-phases.ts` (env: RATE per second, default 10; N runs per path, default 30).
 *
 * Runs the floor's signal-with-start, an auto-approved proposal and a gated MCP call the policy
 * approves, open loop and interleaved like the main bench, then prints for each path the client's
 * end-to-end p50 and the p50 gap before each event type in the runs' histories (a workflow task's
 * `workflowTaskCompleted` gap is the worker's time on it, local activities included).
 */
import { createBench, type Bench } from './context';
import { mcpGatedAuto, startMcpSides } from './mcp';
import { autoEndToEnd, floorEndToEnd } from './phases';
import { summarize } from './stats';

const log = (line: string) => process.stderr.write(`${line}\n`);

type Path = 'floor' | 'auto' | 'mcp';

/** Gaps between consecutive events by event type; workflow tasks are numbered in order. */
async function gapsOf(bench: Bench, workflowIds: string[]): Promise<Map<string, number[]>> {
  const gaps = new Map<string, number[]>();
  for (const wf of workflowIds) {
    const events = (await bench.client.workflow.getHandle(wf).fetchHistory()).events ?? [];
    const at = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1_000 + (e.eventTime!.nanos ?? 0) / 1e6;
    let task = 0;
    for (let i = 1; i < events.length; i++) {
      const e = events[i]!;
      let type = Object.keys(e)
        .find((k) => k.endsWith('EventAttributes'))!
        .replace('EventAttributes', '');
      if (type === 'workflowTaskScheduled') task++;
      if (type.startsWith('workflowTask')) type = `${type} #${task}`;
      const list = gaps.get(type) ?? [];
      list.push(at(e) - at(events[i - 1]!));
      gaps.set(type, list);
    }
  }
  return gaps;
}

async function main(): Promise<void> {
  const rate = Number(process.env['RATE'] ?? 10);
  const n = Number(process.env['N'] ?? 30);
  const bench = await createBench({ maxCachedWorkflows: 250, log });
  try {
    const sides = await startMcpSides(bench);
    try {
      // Warm-up: the first calls open the downstream connections and load the bundles.
      await floorEndToEnd(bench, 5, rate);
      await autoEndToEnd(bench, 5, rate);
      await mcpGatedAuto(bench, sides, 5, rate, []);
      const runs: Record<Path, Set<string>> = { floor: new Set(), auto: new Set(), mcp: new Set() };
      const totals: Record<Path, number[]> = { floor: [], auto: [], mcp: [] };
      const collect = async (path: Path, expected: Set<string>, measure: () => Promise<void>) => {
        const before = new Set(expected);
        await measure();
        for (const wf of expected) if (!before.has(wf)) runs[path].add(wf);
      };
      for (let block = 0; block < 2; block++) {
        await collect(
          'floor',
          bench.expect.floor,
          async () => void totals.floor.push(...(await floorEndToEnd(bench, n / 2, rate)).toCompleted),
        );
        await collect(
          'auto',
          bench.expect.gatehouse,
          async () => void totals.auto.push(...(await autoEndToEnd(bench, n / 2, rate)).toCompleted),
        );
        await collect('mcp', bench.expect.gatehouse, () => mcpGatedAuto(bench, sides, n / 2, rate, totals.mcp));
      }
      for (const path of ['floor', 'auto', 'mcp'] as const) {
        log(`${path}: ${runs[path].size} runs, start → result in the client's hands p50 ${summarize(totals[path]).p50} ms`);
        for (const [type, gaps] of await gapsOf(bench, [...runs[path]])) {
          log(`  ${type.padEnd(36)} p50 ${String(summarize(gaps).p50).padStart(7)} ms  (${gaps.length} events)`);
        }
      }
    } finally {
      await sides.close();
    }
  } finally {
    await bench.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(String((err as Error)?.stack ?? err));
    process.exit(1);
  },
);
