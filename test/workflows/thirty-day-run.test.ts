/**
 * A run that waits a month: daily reminders, a revision round every few days with versions near
 * the content limit, and the approval at the end. Its history stays bounded because the run
 * continues as new when the server suggests it (4 MB or 4 Ki events on the test server, as on a
 * real one), carrying its state and clock; a decision sent at the hand-over reaches the new run.
 * On Temporal's time-skipping test server, so thirty days pass in seconds.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { DecisionKind } from '../../src/domain/decision';
import type { ApprovalState } from '../../src/domain/state';
import { decisionThroughLink } from '../../src/links/link-issuer';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';
import { startTimeSkippingServer } from '../support/time-skipping';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Revision rounds before the approving one; each version weighs ~200 KB, so 4 MB of history comes mid-month. */
const REVISIONS = 10;
const FILLER = 200 * 1024;

let env: TestWorkflowEnvironment;
let h: Harness;
beforeAll(async () => {
  env = await startTimeSkippingServer();
  h = await createHarness({ address: env.connection.options.address });
  await h.startWorker();
}, 60_000);
afterAll(async () => {
  await h?.close();
  await env?.teardown();
});

/** A version of the params with `round` in it and enough text to weigh FILLER bytes. */
function bulkyParams(base: Record<string, unknown>, round: number): Record<string, unknown> {
  return { ...base, body: { amount: 40 + round, notes: `${round}`.padEnd(FILLER, '.') } };
}

describe('a thirty-day run on the time-skipping server', () => {
  it('reminds daily, revises every few days, hands over to new runs with bounded histories, and ends approved', async () => {
    const base = h.proposal('test.longwait');
    const proposal = { ...base, params: bulkyParams(base.params, 1) };
    const run = await h.gatehouse.propose(proposal);
    const handle = h.client.workflow.getHandle(run.workflowId);
    const started = await env.currentTimeMs();
    const handOvers = releaseTimeOnHandOver(run.workflowId);

    const waiting = (round: number): Promise<ApprovalState> =>
      eventually(
        async () => {
          const s = await handle.query(getStateQuery);
          return s.status === 'awaiting_approval' && s.round === round ? s : undefined;
        },
        20_000,
        `round ${round} awaiting approval`,
      );
    // Links are granted against workflow time, which runs weeks ahead of the wall clock here.
    const decide = async (reviewer: string, kind: DecisionKind, state: ApprovalState) => {
      const exp = Math.floor((await env.currentTimeMs()) / 1000) + 3600;
      const payload = {
        nonce: randomUUID(),
        workflowId: run.workflowId,
        round: state.round,
        reviewer: { id: reviewer, role: 'approver' },
        kind,
        paramsHash: state.paramsHash,
        decidedAt: new Date(await env.currentTimeMs()).toISOString(),
        ...(kind === 'request_changes' ? { comment: `round ${state.round}: not yet` } : {}),
      };
      return handle.executeUpdate(decideUpdate, { args: [decisionThroughLink(payload, h.signer, h.grantSigner, exp)] });
    };

    for (let round = 1; round <= REVISIONS; round++) {
      const state = await waiting(round);
      // The round's reminder comes a day in; the reviewer answers on the third day.
      await env.sleep(DAY + HOUR);
      await env.sleep(DAY + 11 * HOUR);
      await decide('bob', 'request_changes', state);
      // The agent's new version, half a day later.
      await env.sleep(12 * HOUR);
      await run.revise({ by: 'agent-7', params: bulkyParams(base.params, round + 1) });
    }
    // The approval goes out at once after the last revision, while the run may be handing over.
    const last = await waiting(REVISIONS + 1);
    await env.sleep(DAY + HOUR);
    await decide('alice', 'approve', await waiting(REVISIONS + 1));
    const final = await run.result();
    handOvers.stop();
    const elapsedDays = ((await env.currentTimeMs()) - started) / DAY;

    expect(elapsedDays).toBeGreaterThan(30);
    expect(final.status).toBe('succeeded');
    expect(final.round).toBe(REVISIONS + 1);
    expect(final.paramsHash).toBe(last.paramsHash);
    expect(final.decisions.map((d) => d.kind)).toEqual([...Array.from({ length: REVISIONS }, () => 'request_changes'), 'approve']);
    // A reminder a day into every round, none lost at a hand-over.
    expect(final.transitions.filter((t) => t.event === 'reminded')).toHaveLength(REVISIONS + 1);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);

    // The chain of runs, oldest first: every run but the last continued as new, each with a
    // bounded history, and each replays against today's code under the run's workflow id.
    const runs = await runChain(run.workflowId);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const [i, r] of runs.entries()) {
      const lastEvent = r.history.events?.at(-1);
      const ended = lastEvent?.workflowExecutionContinuedAsNewEventAttributes
        ? 'continued'
        : lastEvent?.workflowExecutionCompletedEventAttributes
          ? 'completed'
          : 'other';
      expect(ended).toBe(i < runs.length - 1 ? 'continued' : 'completed');
      expect(r.history.events!.length).toBeLessThan(4096);
      // The server suggests a hand-over at 4 MB; a waiting run acts on it when it next wakes, up
      // to a round's versions later (5.4 MB and 3.8 MB when measured).
      expect(r.bytes).toBeLessThan(7 * 1024 * 1024);
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: process.env['GATEHOUSE_TEST_WORKFLOW_BUNDLE']! } },
        r.history,
        run.workflowId,
      );
    }
  }, 120_000);
});

/**
 * The Java test server (1.38) starts each continued run with time skipping locked once more and
 * never releases that lock, so time would stand still after the first hand-over. This watcher
 * releases it once for every new run of the chain it sees; `stop` ends the watch.
 */
function releaseTimeOnHandOver(workflowId: string): { stop(): void } {
  const seen = new Set<string>();
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    h.client.workflow
      .getHandle(workflowId)
      .describe()
      .then(async ({ runId }) => {
        if (seen.size > 0 && !seen.has(runId)) await env.connection.testService!.unlockTimeSkipping({});
        seen.add(runId);
      })
      .catch(() => undefined)
      .finally(() => (checking = false));
  }, 100);
  return { stop: () => clearInterval(timer) };
}

interface ChainedRun {
  runId: string;
  history: temporal.api.history.v1.IHistory;
  bytes: number;
}

/** Every run of `workflowId`, from the first to the latest, following each continue-as-new. */
async function runChain(workflowId: string): Promise<ChainedRun[]> {
  // A history may be larger than gRPC's default 4 MB message: the test reads it whole.
  const connection = await Connection.connect({
    address: env.connection.options.address,
    channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
  });
  try {
    return await followChain(new Client({ connection }), workflowId);
  } finally {
    await connection.close();
  }
}

async function followChain(client: Client, workflowId: string): Promise<ChainedRun[]> {
  const latest = await client.workflow.getHandle(workflowId).fetchHistory();
  let runId: string | null | undefined = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId;
  const runs: ChainedRun[] = [];
  while (runId) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push({ runId, history, bytes: temporal.api.history.v1.History.encode(history).finish().length });
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}
