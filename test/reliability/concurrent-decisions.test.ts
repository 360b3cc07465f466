/**
 * Decisions arriving at the same moment: two reviewers of a dual approval, an approval racing a
 * rejection, and one signed decision submitted hundreds of times at once (as updates sharing the
 * decision's update id, through the SDK's submitDecision, and as signals). Each decision is
 * recorded once, the commit runs once, and a naive target sees one effect.
 */
import { type WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { DecisionRefusedError } from '../../src/client/errors';
import { submitDecision } from '../../src/client/submit-decision';
import { decisionUpdateIdFor } from '../../src/domain/ids';
import type { ProposalInput } from '../../src/domain/proposal';
import type { ApprovalState } from '../../src/domain/state';
import { decideSignal, decideUpdate, getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';
import { startSlowTarget, type SlowTarget } from './support/slow-target';

let h: Harness;
let target: SlowTarget;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
  target = await startSlowTarget();
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

function proposal(actionType: string): ProposalInput {
  const p = h.proposal(actionType);
  return { ...p, params: { ...p.params, url: `${target.url}/effects/${p.id}`, verify: { url: `${target.url}/check/${p.id}` } } };
}

async function awaiting(workflowId: string): Promise<ApprovalState> {
  return eventually(
    async () => {
      const s = await h.client.workflow.getHandle(workflowId).query(getStateQuery);
      return s.status === 'awaiting_approval' ? s : undefined;
    },
    60_000,
    `${workflowId} awaiting approval`,
  );
}

async function historyEvents(handle: WorkflowHandle) {
  return (await handle.fetchHistory()).events ?? [];
}

const times = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make);

/** The run's history once it holds `count` signals (they are durable before the call returns). */
async function signalsInHistory(handle: WorkflowHandle, count: number) {
  const events = await eventually(
    async () => {
      const all = await historyEvents(handle);
      return all.filter((e) => e.workflowExecutionSignaledEventAttributes).length === count ? all : undefined;
    },
    60_000,
    `${count} signals in history`,
  );
  // Let the worker process the last signal batch before the state is read.
  await eventually(async () => ((await handle.describe()).raw.pendingWorkflowTask ? undefined : true), 60_000, 'no pending workflow task');
  return events;
}

/** How many times the commit activity was scheduled in the run. */
async function commitsScheduled(handle: WorkflowHandle): Promise<number> {
  return (await historyEvents(handle)).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'commitAction').length;
}

describe('concurrent decisions', () => {
  it('records both reviewers of a dual approval deciding at the same moment once each and commits once', async () => {
    const runs = await Promise.all(Array.from({ length: 5 }, () => h.gatehouse.propose(proposal('test.dual'))));
    await Promise.all(runs.map((r) => awaiting(r.workflowId)));
    await Promise.all(
      runs.map(async (run) => {
        const [finance, manager] = await Promise.all([
          h.decision(run.workflowId, { id: 'carol', role: 'finance' }, 'approve'),
          h.decision(run.workflowId, { id: 'dave', role: 'manager' }, 'approve'),
        ]);
        const handle = h.client.workflow.getHandle(run.workflowId);
        const answers = await Promise.all([
          handle.executeUpdate(decideUpdate, { args: [finance], updateId: decisionUpdateIdFor(finance.payload) }),
          handle.executeUpdate(decideUpdate, { args: [manager], updateId: decisionUpdateIdFor(manager.payload) }),
        ]);
        // One of them completed the approval, whichever the workflow saw second.
        expect(answers.map((a) => a.status).sort()).toEqual(['approved', 'awaiting_approval']);
      }),
    );
    for (const run of runs) {
      const final = await run.result();
      expect(final.status).toBe('succeeded');
      expect(final.decisions.map((d) => d.reviewerId).sort()).toEqual(['carol', 'dave']);
      expect(target.effects.get(final.proposal.id)).toBe(1);
      expect(target.posts.filter((p) => p.resource === final.proposal.id)).toHaveLength(1);
      expect(await commitsScheduled(h.client.workflow.getHandle(run.workflowId))).toBe(1);
    }
  }, 120_000);

  it('lets exactly one of an approval and a rejection sent at the same moment win, and refuses the other', async () => {
    const runs = await Promise.all(Array.from({ length: 5 }, () => h.gatehouse.propose(proposal('test.single'))));
    await Promise.all(runs.map((r) => awaiting(r.workflowId)));
    for (const run of runs) {
      const [approve, reject] = await Promise.all([
        h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve'),
        h.decision(run.workflowId, { id: 'bob', role: 'approver' }, 'reject'),
      ]);
      // Through the client SDK, as callers send them: the loser may meet the run still deciding
      // (the validator refuses it) or already finished (a closed run); both are `not_awaiting`.
      const settled = await Promise.allSettled([submitDecision(h.client, approve), submitDecision(h.client, reject)]);
      const won = settled.filter((s) => s.status === 'fulfilled');
      const lost = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(won[0]).toEqual({ status: 'fulfilled', value: expect.objectContaining({ applied: true }) });
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(DecisionRefusedError);
      expect((lost[0]!.reason as DecisionRefusedError).code).toBe('not_awaiting');

      const final = await run.result();
      expect(final.decisions).toHaveLength(1);
      const approved = final.decisions[0]!.kind === 'approve';
      expect(final.status).toBe(approved ? 'succeeded' : 'rejected');
      expect(target.effects.get(final.proposal.id) ?? 0).toBe(approved ? 1 : 0);
    }
  }, 120_000);

  it('applies one signed decision sent as 200 concurrent updates with one update id once, and answers every caller alike', async () => {
    const run = await h.gatehouse.propose(proposal('test.quorum'));
    await awaiting(run.workflowId);
    const handle = h.client.workflow.getHandle(run.workflowId);
    const signed = await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve');
    const updateId = decisionUpdateIdFor(signed.payload);
    const update = () => handle.executeUpdate(decideUpdate, { args: [signed], updateId });
    const viaSdk = () => submitDecision(h.client, signed, { timeoutMs: 30_000 });
    const one = { status: 'awaiting_approval', round: 1, remaining: [{ role: 'approver', needed: 1 }] };

    // 100 raw updates and 100 through the SDK path the decision page uses, all at once.
    const [answers, delivered] = await Promise.all([Promise.all(times(100, update)), Promise.all(times(100, viaSdk))]);
    expect(answers).toEqual(Array(100).fill(one));
    expect(delivered).toEqual(Array(100).fill({ applied: true, result: one }));

    // A late storm of the same decision: the update id still answers with the first outcome,
    // and the signals (which cannot be refused) are seen and ignored.
    const [late] = await Promise.all([Promise.all(times(100, update)), Promise.all(times(200, () => handle.signal(decideSignal, signed)))]);
    expect(late).toEqual(Array(100).fill(one));

    const events = await signalsInHistory(handle, 200);
    expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
    const state = await handle.query(getStateQuery);
    expect(state.decisions.map((d) => d.nonce)).toEqual([signed.payload.nonce]);
    expect(state.status).toBe('awaiting_approval');

    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'bob', role: 'approver' }, 'approve')] });
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(final.decisions.map((d) => d.reviewerId)).toEqual(['alice', 'bob']);
    expect(target.effects.get(final.proposal.id)).toBe(1);
  }, 120_000);

  it('applies one signed decision once when 200 signals and 200 updates of it race', async () => {
    const run = await h.gatehouse.propose(proposal('test.quorum'));
    await awaiting(run.workflowId);
    const handle = h.client.workflow.getHandle(run.workflowId);
    const signed = await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve');
    const updateId = decisionUpdateIdFor(signed.payload);

    const [settled] = await Promise.all([
      Promise.allSettled(times(200, () => handle.executeUpdate(decideUpdate, { args: [signed], updateId }))),
      Promise.all(times(200, () => handle.signal(decideSignal, signed))),
    ]);
    // Whichever came first applied it: every update caller then hears the same thing, either the
    // update's own answer or "already recorded" (the decision page shows that as a 409).
    const outcomes = new Set(
      settled.map((s) =>
        s.status === 'fulfilled'
          ? `applied:${s.value.status}`
          : String(((s.reason as WorkflowUpdateFailedError).cause as { details?: unknown[] })?.details?.[0]),
      ),
    );
    expect(outcomes.size).toBe(1);
    expect(['applied:awaiting_approval', 'duplicate']).toContain([...outcomes][0]);

    await signalsInHistory(handle, 200);
    const state = await handle.query(getStateQuery);
    expect(state.decisions.map((d) => d.nonce)).toEqual([signed.payload.nonce]);
    expect(state.status).toBe('awaiting_approval');
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'carol', role: 'approver' }, 'approve')] });
    expect((await run.result()).status).toBe('succeeded');
  }, 120_000);
});
