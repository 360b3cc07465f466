/**
 * A run that waits through many revision rounds keeps a bounded history: past the server's
 * suggestion it continues as new with its state and its round's clock, and decisions sent at the
 * hand-over are not lost. On a Temporal server of the test's own, whose suggestion comes at 40
 * events instead of 4 Ki (the suite's shared server keeps its defaults). Both runs' histories
 * replay against today's code.
 */
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createBytesSigner, generateDecisionKeyPair, type BytesSigner } from '../../src/links/decision-signer';
import { decisionThroughLink } from '../../src/links/link-issuer';
import { decideUpdate, getStateQuery, refreshTrustSignal } from '../../workflows/messages';
import { startOwnTemporalServer, type OwnTemporalServer } from '../reliability/support/temporal-server';
import { createHarness, eventually, type Harness } from '../support/harness';
import { refreshed } from '../support/trust-refresh';

const SUGGEST_AFTER = 40;
const ROUNDS = 6;

let server: OwnTemporalServer;
let h: Harness;
beforeAll(async () => {
  server = await startOwnTemporalServer({ dynamicConfig: [`limit.historyCount.suggestContinueAsNew=${SUGGEST_AFTER}`] });
  h = await createHarness({ address: server.address });
  await h.startWorker();
}, 90_000);
afterAll(async () => {
  await h?.close();
  await server?.stop();
});

describe('continue as new', () => {
  it('hands a long review over to new runs with its state, loses no decision, and keeps each history short', async () => {
    const proposal = h.proposal('test.single');
    const run = await h.gatehouse.propose(proposal);
    const handle = h.client.workflow.getHandle(run.workflowId);
    const waiting = (round: number) =>
      eventually(
        async () => {
          const s = await handle.query(getStateQuery);
          return s.status === 'awaiting_approval' && s.round === round ? s : undefined;
        },
        20_000,
        `round ${round} awaiting approval`,
      );

    for (let round = 1; round < ROUNDS; round++) {
      await waiting(round);
      await handle.executeUpdate(decideUpdate, {
        args: [await h.decision(run.workflowId, { id: 'bob', role: 'approver' }, 'request_changes', { comment: `round ${round}` })],
      });
      await run.revise({ by: 'agent-7', params: { ...proposal.params, body: { amount: 42 + round } } });
    }
    // The approval goes out at once, while the run may be handing over.
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(final.round).toBe(ROUNDS);
    expect(final.decisions.map((d) => d.kind)).toEqual([...Array.from({ length: ROUNDS - 1 }, () => 'request_changes'), 'approve']);
    expect(final.originalParams).toEqual(proposal.params);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);

    // The chain of runs: every run but the last continued as new, each with a short history.
    // Replayed under the run's own workflow id (a history does not carry it): a signed revision
    // is bound to that id, and the handler checks its signature again on replay.
    const runs: { runId: string; events: number }[] = [];
    for await (const wf of h.client.workflow.list({ query: `WorkflowId = "${run.workflowId}"` })) {
      const history = await h.client.workflow.getHandle(run.workflowId, wf.runId).fetchHistory();
      runs.push({ runId: wf.runId, events: history.events?.length ?? 0 });
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: process.env['GATEHOUSE_TEST_WORKFLOW_BUNDLE']! } },
        history,
        run.workflowId,
      );
    }
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...runs.map((r) => r.events))).toBeLessThan(SUGGEST_AFTER * 3);

    // The proposal hash went on with the memo: the same proposal again is the same run.
    expect((await h.gatehouse.propose(proposal)).workflowId).toBe(run.workflowId);
    console.log(JSON.stringify({ runs: runs.length, events: runs.map((r) => r.events) }));
  }, 120_000);

  it('hands over the keys a refresh gave the run, not the ones it started with', async () => {
    const proposal = h.proposal('test.single');
    const run = await h.gatehouse.propose(proposal);
    const handle = h.client.workflow.getHandle(run.workflowId);
    const firstRunId = (await handle.describe()).runId;
    await eventually(async () => ((await run.status()).status === 'awaiting_approval' ? true : undefined), 20_000, 'awaiting approval');
    // The grant key is replaced outright (no overlap): only a refreshed run trusts the new one.
    await h.stopWorker();
    const g2 = createBytesSigner({ keyId: 'g2', privateKeyHex: generateDecisionKeyPair().privateKeyHex });
    await h.startWorker({ grantSigner: g2 });
    await handle.signal(refreshTrustSignal);
    await refreshed(h.client, run.workflowId);
    // A second signal within the minute is deferred; the hand-over must not wait it out (or a
    // stream of signals could hold a hand-over off for good): it refreshes at once instead.
    await handle.signal(refreshTrustSignal);
    const granted = async (by: BytesSigner, reviewer: { id: string; role: string }, kind: 'approve' | 'request_changes') => {
      const state = await handle.query(getStateQuery);
      const payload = { nonce: randomUUID(), workflowId: run.workflowId, round: state.round, reviewer, kind, paramsHash: state.paramsHash };
      return decisionThroughLink(
        { ...payload, decidedAt: new Date().toISOString(), ...(kind === 'request_changes' ? { comment: 'again' } : {}) },
        h.signer,
        by,
      );
    };
    // Rounds decided through g2 links until the run has handed over.
    for (let round = 1; (await handle.describe()).runId === firstRunId; round++) {
      expect(round).toBeLessThan(10);
      await eventually(async () => ((await run.status()).status === 'awaiting_approval' ? true : undefined), 20_000, 'awaiting');
      await handle.executeUpdate(decideUpdate, { args: [await granted(g2, { id: 'bob', role: 'approver' }, 'request_changes')] });
      await run.revise({ by: 'agent-7', params: { ...proposal.params, body: { amount: 100 + round } } });
    }
    const first = (await h.client.workflow.getHandle(run.workflowId, firstRunId).fetchHistory()).events ?? [];
    const signals = first.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'gatehouse.refreshTrust');
    const reads = first.filter((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['data']?.payloads?.[0]?.data;
      return data ? Buffer.from(data).toString('utf8').includes('"readTrust"') : false;
    });
    expect(signals).toHaveLength(2);
    expect(reads).toHaveLength(2);
    const seconds = (e: (typeof first)[number]) => Number(e.eventTime?.seconds ?? 0);
    expect(seconds(reads[1]!) - seconds(signals[1]!)).toBeLessThan(50);
    await eventually(async () => ((await run.status()).status === 'awaiting_approval' ? true : undefined), 20_000, 'awaiting');
    // The continuation trusts g2 and no longer the key the run started with.
    const old = await handle
      .executeUpdate(decideUpdate, { args: [await granted(h.grantSigner, { id: 'alice', role: 'approver' }, 'approve')] })
      .catch((err: unknown) => err);
    expect((old as Error & { cause?: Error }).cause?.message).toMatch(/link grant signed with unknown key id "grant"/);
    await handle.executeUpdate(decideUpdate, { args: [await granted(g2, { id: 'alice', role: 'approver' }, 'approve')] });
    expect((await run.result()).status).toBe('succeeded');
    // The refresh replays: its patch and local-activity markers line up with today's code.
    for await (const wf of h.client.workflow.list({ query: `WorkflowId = "${run.workflowId}"` })) {
      const history = await h.client.workflow.getHandle(run.workflowId, wf.runId).fetchHistory();
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: process.env['GATEHOUSE_TEST_WORKFLOW_BUNDLE']! } },
        history,
        run.workflowId,
      );
    }
  }, 120_000);
});
