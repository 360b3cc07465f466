/** The issue-7 targets checked against a run, and the run as a readable table. */
import type { Interval, Summary } from './stats';

export interface Target {
  name: string;
  value: number | null;
  target: string;
  met: boolean;
}

/** The slice of a bench result the report reads. */
export interface Reportable {
  meta: {
    mode: string;
    durationSec: number;
    machine: { nproc: number; cpuModel: string; memoryGb: number };
    loadAverage: { start: number; end: number };
    versions: Record<string, string>;
    sqlitePragmas: string[];
    serverDynamicConfig: string[];
    worker: Record<string, unknown>;
    plan: { openLoopRatePerSec: number; lanes: number; submitters: number };
  };
  floor: {
    completedPerSec: number;
    cpuMsPerLifecycle: { worker: number; server: number; driver: number };
    startedPerSec: number;
    waitingPerSec: number;
    signalToActivityMs: Summary;
    updateToActivityMs: Summary;
    httpSignalToActivityMs: Summary;
    signalResponseMs: Summary;
    signalWithStartToActivityMs: Summary;
    signalWithStartToCompletedMs: Summary;
    historyEvents: number;
  };
  gatehouse: {
    completedPerSec: number;
    cpuMsPerLifecycle: { worker: number; server: number; driver: number };
    startedPerSec: number;
    evaluatedPerSec: number;
    decisionToCommitMs: { sdk: Summary; http: Summary };
    decisionResponseMs: { sdk: Summary; http: Summary };
    autoApproved: { proposeToCommitMs: Summary; proposeToCompletedMs: Summary };
    http: {
      helloWorld: { reqPerSec: number; latencyP99Ms: number };
      badSignature: { reqPerSec: number; latencyP99Ms: number };
      page: { reqPerSec: number; latencyP99Ms: number };
      updateRpcPerSec: number;
      decisionPostPerSec: number;
      updateRpcLatency: Summary;
      decisionPostLatency: Summary;
      lanes: number;
    };
    historyEvents: { single: number; dual: number; auto: number };
    mcp: { passThroughDirectMs: Summary; passThroughViaGatewayMs: Summary; gatedAutoApprovedMs: Summary };
  };
  ratios: Record<string, number>;
  /** 95% bootstrap intervals of the p99 ratios with runs waiting. */
  intervals: { pendingP99VsEmpty: Interval; floorPendingP99VsEmpty: Interval };
  historyEvents: { single: number; dual: number; auto: number; floor: number };
  pending: {
    n: number;
    maxCachedWorkflows: number;
    workerRssMb: number;
    decisionLatencyP99Ms: number;
    startedPerSec: number;
    readyPerSec: number;
    drainPerSec: number;
    kbPerPendingBeyondCache: number | null;
    kbPerPendingBeyondCacheStdErr: number | null;
    heapKbPerPendingBeyondCache: number | null;
    heapScope: string;
    heapBeforeMb: number | undefined;
    rssMb: { before: number; checkpoints: { waiting: number; rssMb: number; heapMb?: number }[]; settled: number; afterDrain: number };
    decision: { sdkToCommit: Summary; sdkResponse: Summary };
    floor: { n: number; decision: { updateToActivity: Summary } };
  };
  correct: boolean;
  gate: {
    problems: string[];
    gatehouseStarted: number;
    gatehouseSucceeded: number;
    floorStarted: number;
    floorCompleted: number;
    duplicateCommits: number;
    missingCommits: number;
    decisionsAccepted: number;
    auditDecisionEntries: number;
  };
}

export function targetsOf(r: Omit<Reportable, 'targets'>): Target[] {
  const t = (name: string, value: number | null, target: string, met: boolean): Target => ({
    name,
    value,
    target,
    met: value !== null && Number.isFinite(value) && met,
  });
  const { ratios: q, gatehouse: g, pending: p } = r;
  return [
    t('decision→commit p50 ÷ floor (SDK)', q['decisionLatencyP50']!, '≤ 1.3', q['decisionLatencyP50']! <= 1.3),
    t('decision→commit p99 ÷ floor (SDK)', q['decisionLatencyP99']!, '≤ 2', q['decisionLatencyP99']! <= 2),
    t('decision→commit p50 ÷ floor (HTTP)', q['decisionLatencyP50Http']!, '≤ 1.3', q['decisionLatencyP50Http']! <= 1.3),
    t('decision→commit p99 ÷ floor (HTTP)', q['decisionLatencyP99Http']!, '≤ 2', q['decisionLatencyP99Http']! <= 2),
    t('decision→commit p50 ms (SDK)', g.decisionToCommitMs.sdk.p50, '≤ 25', g.decisionToCommitMs.sdk.p50 <= 25),
    t('decision→commit p99 ms (SDK)', g.decisionToCommitMs.sdk.p99, '≤ 100', g.decisionToCommitMs.sdk.p99 <= 100),
    t('decision→commit p50 ms (HTTP)', g.decisionToCommitMs.http.p50, '≤ 25', g.decisionToCommitMs.http.p50 <= 25),
    t('decision→commit p99 ms (HTTP)', g.decisionToCommitMs.http.p99, '≤ 100', g.decisionToCommitMs.http.p99 <= 100),
    t('decision POST response p99 ms', g.decisionResponseMs.http.p99, '≤ 50', g.decisionResponseMs.http.p99 <= 50),
    t('completed approvals/s ÷ floor', q['throughput']!, '≥ 0.5', q['throughput']! >= 0.5),
    t('… by CPU per lifecycle (floor ÷ Gatehouse)', q['throughputByCpu']!, '≥ 0.5', q['throughputByCpu']! >= 0.5),
    // Issue 18: the gateway adds at most 10 % and 2 ms to a call it lets through.
    t(
      'MCP read-only call p50: gateway ÷ direct',
      q['mcpPassThroughP50']!,
      `≤ 1.1 + 2 ms (≤ ${fmt(1.1 + 2 / g.mcp.passThroughDirectMs.p50)} here)`,
      g.mcp.passThroughViaGatewayMs.p50 <= 1.1 * g.mcp.passThroughDirectMs.p50 + 2,
    ),
    t(
      'MCP gated auto-approved call p50 ÷ floor signal-with-start round trip',
      q['mcpGatedAutoP50']!,
      '≤ 1.3',
      q['mcpGatedAutoP50']! <= 1.3,
    ),
    t('history events single ÷ floor', q['historySingle']!, '≤ 2', q['historySingle']! <= 2),
    t('history events dual ÷ floor', q['historyDual']!, '≤ 2.4', q['historyDual']! <= 2.4),
    // Retained heap when it covers the workflows (debug mode), else RSS, which also holds uncollected garbage.
    p.heapScope === 'main thread and workflows'
      ? t(
          `KB retained per waiting approval beyond the cache (heap after GC, n=${p.n})`,
          p.heapKbPerPendingBeyondCache,
          '< 5',
          (p.heapKbPerPendingBeyondCache ?? Infinity) < 5,
        )
      : t(
          `KB RSS per waiting approval beyond the cache (n=${p.n})`,
          p.kbPerPendingBeyondCache,
          '< 5',
          (p.kbPerPendingBeyondCache ?? Infinity) < 5,
        ),
    t(`decision p99 with ${p.n} waiting ÷ empty`, q['pendingP99VsEmpty']!, '≤ 1.5', q['pendingP99VsEmpty']! <= 1.5),
    // Not the issue's: the performance notes' figure, for a worker process that hosts Gatehouse
    // alone (this one also hosts the floor's worker, with its own workflow thread).
    t(`worker RSS MB with ${p.n} waiting (performance notes, not issue 7)`, p.workerRssMb, '≤ 300', p.workerRssMb <= 300),
    t('bad-signature GET/s ÷ hello-world', q['badSignatureVsHello']!, '≥ 0.5', q['badSignatureVsHello']! >= 0.5),
    t('decision POST/s ÷ update RPC/s', q['postVsUpdateRpc']!, '≥ 0.8', q['postVsUpdateRpc']! >= 0.8),
    t('correctness gate (all runs as expected, 0 duplicate commits)', r.correct ? 1 : 0, 'holds', r.correct),
  ];
}

const withInterval = (x: number | undefined, i: Interval) => `${fmt(x)} (${fmt(i.low)}–${fmt(i.high)})`;
const ms = (s: Summary) => `${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.p99)} / ${fmt(s.max)}`;
function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 100) return String(Math.round(x));
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [`\n${title}`, line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

export function renderTable(r: Reportable & { targets: Target[] }): string {
  const { floor: f, gatehouse: g, ratios: q, pending: p, meta } = r;
  const out: string[] = [];
  out.push(
    `Gatehouse bench (${meta.mode}) — ${meta.machine.nproc} × ${meta.machine.cpuModel}, ${meta.machine.memoryGb} GB; ` +
      `node ${meta.versions['node']}, ${meta.versions['temporal']}, SDK ${meta.versions['sdk']}; SQLite ${meta.sqlitePragmas.join(', ')}; server ${meta.serverDynamicConfig.join(', ')}; ` +
      `worker ${JSON.stringify(meta.worker)}; open-loop rate ${meta.plan.openLoopRatePerSec}/s; ${meta.durationSec} s; ` +
      `load average ${meta.loadAverage.start} → ${meta.loadAverage.end}${meta.loadAverage.start > meta.machine.nproc ? ' (BUSY AT START: the 1-minute load average still counts earlier work or other jobs; wall-clock figures may be pessimistic, prefer ratios and CPU per lifecycle)' : ''}`,
  );
  out.push(
    table(
      'Throughput',
      ['figure', 'floor', 'gatehouse', 'ratio'],
      [
        [`completed lifecycles/s (${meta.plan.lanes} lanes)`, f.completedPerSec, g.completedPerSec, q['throughput']!],
        [
          'CPU ms per lifecycle: worker + server (driver)',
          `${fmt(f.cpuMsPerLifecycle.worker)} + ${fmt(f.cpuMsPerLifecycle.server)} (${fmt(f.cpuMsPerLifecycle.driver)})`,
          `${fmt(g.cpuMsPerLifecycle.worker)} + ${fmt(g.cpuMsPerLifecycle.server)} (${fmt(g.cpuMsPerLifecycle.driver)})`,
          q['throughputByCpu']!,
        ],
        [`starts/s (${meta.plan.submitters} submitters)`, f.startedPerSec, g.startedPerSec, q['startRate']!],
        [
          'waiting (floor) / evaluated (gatehouse) per s',
          f.waitingPerSec,
          g.evaluatedPerSec,
          f.waitingPerSec > 0 ? g.evaluatedPerSec / f.waitingPerSec : NaN,
        ],
      ],
    ),
  );
  out.push(
    table(
      'Latency, ms (p50 / p95 / p99 / max)',
      ['path', 'floor', 'gatehouse', 'p50 ratio', 'p99 ratio'],
      [
        [
          'decision → commit start (SDK update)',
          ms(f.signalToActivityMs),
          ms(g.decisionToCommitMs.sdk),
          q['decisionLatencyP50']!,
          q['decisionLatencyP99']!,
        ],
        [
          '… floor decided by Update instead (reference)',
          ms(f.updateToActivityMs),
          ms(g.decisionToCommitMs.sdk),
          q['decisionLatencyP50VsUpdateFloor']!,
          '',
        ],
        [
          'decision → commit start (HTTP POST)',
          ms(f.signalToActivityMs),
          ms(g.decisionToCommitMs.http),
          q['decisionLatencyP50Http']!,
          q['decisionLatencyP99Http']!,
        ],
        [
          '… floor signalled by an Express route instead (reference)',
          ms(f.httpSignalToActivityMs),
          ms(g.decisionToCommitMs.http),
          q['decisionLatencyP50HttpVsHttpFloor']!,
          '',
        ],
        ['decision call answered (SDK)', ms(f.signalResponseMs), ms(g.decisionResponseMs.sdk), '', ''],
        ['decision call answered (HTTP)', ms(f.signalResponseMs), ms(g.decisionResponseMs.http), '', ''],
        ['no human: start → commit start', ms(f.signalWithStartToActivityMs), ms(g.autoApproved.proposeToCommitMs), q['autoE2eP50']!, ''],
        [
          'no human: start → completed',
          ms(f.signalWithStartToCompletedMs),
          ms(g.autoApproved.proposeToCompletedMs),
          q['autoE2eCompletedP50']!,
          '',
        ],
        [
          'MCP gated call, policy approves: call → result',
          ms(f.signalWithStartToCompletedMs),
          ms(g.mcp.gatedAutoApprovedMs),
          q['mcpGatedAutoP50']!,
          '',
        ],
        [
          'MCP read-only call: direct vs through the gateway',
          ms(g.mcp.passThroughDirectMs),
          ms(g.mcp.passThroughViaGatewayMs),
          q['mcpPassThroughP50']!,
          '',
        ],
      ],
    ),
  );
  out.push(
    table(
      'History events per happy path',
      ['path', 'events', '÷ floor'],
      [
        ['floor', r.historyEvents.floor, 1],
        ['single approval', r.historyEvents.single, q['historySingle']!],
        ['dual approval', r.historyEvents.dual, q['historyDual']!],
        ['auto-approved', r.historyEvents.auto, r.historyEvents.auto / r.historyEvents.floor],
      ],
    ),
  );
  out.push(
    table(
      `Waiting approvals (cache ${p.maxCachedWorkflows})`,
      ['figure', 'value'],
      [
        ['waiting approvals', String(p.n)],
        ['proposals started/s, evaluated/s during the ramp', `${fmt(p.startedPerSec)}, ${fmt(p.readyPerSec)}`],
        [
          'worker RSS MB: before, checkpoints, all waiting, after drain',
          `${p.rssMb.before}; ${p.rssMb.checkpoints.map((c) => `${c.waiting}: ${c.rssMb}`).join(', ')}; ${p.rssMb.settled}; ${p.rssMb.afterDrain}`,
        ],
        [
          'KB RSS per extra waiting approval beyond the cache (± standard error)',
          `${fmt(p.kbPerPendingBeyondCache)} ± ${fmt(p.kbPerPendingBeyondCacheStdErr)}`,
        ],
        [
          `heap MB after GC (${p.heapScope}): before, checkpoints`,
          `${p.heapBeforeMb ?? '?'}; ${p.rssMb.checkpoints.map((c) => `${c.waiting}: ${c.heapMb ?? '?'}`).join(', ')}`,
        ],
        ['KB heap retained per extra waiting approval beyond the cache', fmt(p.heapKbPerPendingBeyondCache)],
        ['decision → commit with all waiting (SDK)', ms(p.decision.sdkToCommit)],
        ['… p99 ÷ empty system (95% bootstrap interval)', withInterval(q['pendingP99VsEmpty'], r.intervals.pendingP99VsEmpty)],
        [`floor: update → activity with ${p.floor.n} floor runs waiting (reference)`, ms(p.floor.decision.updateToActivity)],
        [
          "… p99 ÷ the floor's empty system, by Update (95% bootstrap interval)",
          withInterval(q['floorPendingP99VsEmpty'], r.intervals.floorPendingP99VsEmpty),
        ],
        ['Gatehouse p99 ÷ floor p99, each with its runs waiting', fmt(q['pendingP99VsFloorPending'])],
        ['decision call answered with all waiting (SDK)', ms(p.decision.sdkResponse)],
        ['drain: approvals decided and committed per s', fmt(p.drainPerSec)],
      ],
    ),
  );
  const h = g.http;
  out.push(
    table(
      'HTTP decision endpoint',
      ['request', 'req/s', 'p99 ms', 'ratio'],
      [
        ['Express hello-world (same process)', h.helloWorld.reqPerSec, h.helloWorld.latencyP99Ms, 1],
        ['GET /d/:token, bad signature (refused)', h.badSignature.reqPerSec, h.badSignature.latencyP99Ms, q['badSignatureVsHello']!],
        ['GET /d/:token, decision page (query)', h.page.reqPerSec, h.page.latencyP99Ms, q['pageVsHello']!],
        [`bare Update RPC, pre-signed (${h.lanes} lanes)`, h.updateRpcPerSec, h.updateRpcLatency.p99, 1],
        [`POST /api/decisions/:token (${h.lanes} lanes)`, h.decisionPostPerSec, h.decisionPostLatency.p99, q['postVsUpdateRpc']!],
      ],
    ),
  );
  out.push(
    table(
      'Targets (issue 7)',
      ['target', 'value', 'wanted', 'met'],
      r.targets.map((t) => [t.name, fmt(t.value), t.target, t.met ? 'yes' : 'NO']),
    ),
  );
  const gate = r.gate;
  out.push(
    `\nCorrectness gate: ${r.correct ? 'HELD' : 'FAILED'} — ${gate.gatehouseSucceeded}/${gate.gatehouseStarted} approval runs succeeded, ` +
      `${gate.floorCompleted}/${gate.floorStarted} floor runs completed, ${gate.duplicateCommits} duplicate and ${gate.missingCommits} missing commits, ` +
      `${gate.auditDecisionEntries} audit decision entries for ${gate.decisionsAccepted} accepted decisions` +
      (gate.problems.length ? `\n  problems: ${gate.problems.join('; ')}` : ''),
  );
  return `${out.join('\n')}\n`;
}
